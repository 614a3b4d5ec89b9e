//! The signed-in user's own account: change the password (other sessions are signed out), and the
//! active sessions, each with its device, address and last use, to sign out one or all.

use crate::api::accounts::{
    ChangePassword, EndAllSessions, EndSession, SaveProfile, list_sessions, my_profile,
};
use crate::model::UserView;
use crate::model::account_input::Profile;
use crate::model::local_time::LocalClock;
use crate::model::user::SessionView;
use crate::ui::browser::now_ms;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::table::Table;
use crate::ui::page_data::page_data;
use leptos::prelude::*;

crate::lazy_page!(AccountRoute, AccountPage);

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<UserView>();
    let change = ServerAction::<ChangePassword>::new();
    let error = last_error(change.value());
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="panel" aria-labelledby="account-title">
            <h1 id="account-title">"Account"</h1>
            <p class="hint">{me.display_name} " · " {me.email}</p>
            <h2>"Change password"</h2>
            <ActionForm action=change attr:aria-label="Change password" attr:novalidate=true attr:class="grid-form">
                <FormError error />
                <PasswordInput
                    id="current-password"
                    name="current_password"
                    label="Current password"
                    autocomplete="current-password"
                    error
                />
                <PasswordInput
                    id="new-password"
                    name="new_password"
                    label="New password"
                    autocomplete="new-password"
                    error
                />
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    "Change password"
                </button>
                <Show when=done>
                    <p class="form-ok" role="status">
                        "Password changed. Your other sessions have been signed out."
                    </p>
                </Show>
            </ActionForm>
            <ProfileForm />
            <ActiveSessions />
        </section>
    }
}

/// The phone and company a client may give (the CRM record made for their chats carries them).
#[component]
fn ProfileForm() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let error = last_error(save.value());
    let done = move || matches!(save.value().get(), Some(Ok(())));
    let profile = page_data(|| (), |_| my_profile());
    let show = move |p: Profile| {
        view! {
            <ActionForm action=save attr:aria-label="Your details" attr:novalidate=true attr:class="grid-form">
                <FormError error />
                <label for="profile-phone">"Phone"</label>
                <input
                    id="profile-phone"
                    name="phone"
                    type="tel"
                    autocomplete="tel"
                    value=p.phone.unwrap_or_default()
                    aria-describedby="profile-phone-error"
                />
                <FieldError error field="phone" id="profile-phone-error".to_owned() />
                <label for="profile-company">"Company"</label>
                <input
                    id="profile-company"
                    name="company"
                    autocomplete="organization"
                    value=p.company.unwrap_or_default()
                    aria-describedby="profile-company-error"
                />
                <FieldError error field="company" id="profile-company-error".to_owned() />
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    "Save details"
                </button>
                <Show when=done>
                    <p class="form-ok" role="status">"Details saved."</p>
                </Show>
            </ActionForm>
        }
    };
    view! {
        <h2>"Your details"</h2>
        <p class="hint">"Optional. The team you chat with sees them."</p>
        <Loaded resource=profile loading="Loading your details…" show />
    }
}

#[component]
fn ActiveSessions() -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_all = ServerAction::<EndAllSessions>::new();
    let error = last_error(end_one.value());
    let all_error = last_error(end_all.value());
    let sessions = page_data(
        move || (end_one.version().get(), end_all.version().get()),
        |_| list_sessions(),
    );
    let show = move |list: Vec<SessionView>| view! { <SessionTable list end_one /> };
    view! {
        <h2>"Active sessions"</h2>
        <p class="hint">"Where you are signed in. Sign out a device you do not recognise."</p>
        <FormError error />
        <FormError error=all_error />
        <Loaded resource=sessions loading="Loading sessions…" show />
        <ActionForm action=end_all attr:aria-label="Sign out everywhere else">
            <input type="hidden" name="including_this" value="false" />
            <button type="submit" class="ghost" disabled=move || end_all.pending().get()>
                "Sign out everywhere else"
            </button>
        </ActionForm>
    }
}

#[component]
fn SessionTable(list: Vec<SessionView>, end_one: ServerAction<EndSession>) -> impl IntoView {
    let clock = LocalClock {
        now_ms: now_ms(),
        ..Default::default()
    };
    view! {
        <Table class="sessions" headers=&["Device", "Address", "Last active", "Action"]>
            {list
                .into_iter()
                .map(|s| {
                    let last = if s.current {
                        "this session".to_owned()
                    } else {
                        match clock.elapsed_since(s.last_seen_at_ms).as_str() {
                            "just now" => "just now".to_owned(),
                            ago => format!("{ago} ago"),
                        }
                    };
                    let action = if s.current {
                        view! { <span class="hint">"Current"</span> }.into_any()
                    } else {
                        let aria = format!("Sign out {} ({})", s.device, s.ip);
                        view! {
                            <ActionForm action=end_one>
                                <input type="hidden" name="session_id" value=s.id.clone() />
                                <button type="submit" class="ghost" aria-label=aria>
                                    "Sign out"
                                </button>
                            </ActionForm>
                        }
                        .into_any()
                    };
                    view! {
                        <tr>
                            <td>{s.device.clone()}</td>
                            <td>{s.ip}</td>
                            <td>{last}</td>
                            <td>{action}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
