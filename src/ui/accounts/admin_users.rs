//! Admins: list users, create managers and admins, disable or re-enable accounts.

use crate::api::accounts::{CreateUser, SetUserDisabled, list_users};
use crate::model::UserView;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::table::Table;
use crate::ui::forms::text_field::TextField;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminUsersRoute, AdminUsersPage);

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    if let Some(refused) = refusal("Users", "Only administrators can manage users.") {
        return refused;
    }
    let create = ServerAction::<CreateUser>::new();
    let toggle = ServerAction::<SetUserDisabled>::new();
    let create_error = last_error(create.value());
    let toggle_error = last_error(toggle.value());
    let users = page_data(
        move || (create.version().get(), toggle.version().get()),
        |_| list_users(),
    );
    let show_users = move |list: Vec<UserView>| view! { <UserTable list toggle /> };
    view! {
        <section class="panel" aria-labelledby="users-title">
            <h1 id="users-title">"Users"</h1>
            <h2>"Create a user"</h2>
            <ActionForm action=create attr:aria-label="Create user" attr:novalidate=true attr:class="grid-form">
                <FormError error=create_error />
                <TextField id="new-email" name="email" label="Email" input_type="email" error=create_error />
                <TextField id="new-name" name="display_name" label="Display name" error=create_error />
                <PasswordInput
                    id="new-password"
                    name="password"
                    label="Initial password"
                    autocomplete="new-password"
                    error=create_error
                />
                <label for="new-role">"Role"</label>
                <select id="new-role" name="role" aria-describedby="new-role-error">
                    <option value="manager">"Deal manager"</option>
                    <option value="admin">"Administrator"</option>
                    <option value="client">"Client"</option>
                </select>
                <FieldError error=create_error field="role" id="new-role-error" />
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    "Create user"
                </button>
                <p class="form-ok" aria-live="polite">
                    {move || {
                        create
                            .value()
                            .get()
                            .and_then(Result::ok)
                            .map(|u| format!("Created {} ({}).", u.email, u.role.label()))
                    }}
                </p>
            </ActionForm>
            <h2>"All users"</h2>
            <FormError error=toggle_error />
            <Loaded
                resource=users
                loading="Loading users…"
                show=show_users
            />
        </section>
    }
    .into_any()
}

#[component]
fn UserTable(list: Vec<UserView>, toggle: ServerAction<SetUserDisabled>) -> impl IntoView {
    view! {
        <Table class="users" headers=&["Name", "Email", "Role", "Status", "Action"]>
            {list
                .into_iter()
                .map(|u| {
                    let action_label = if u.disabled { "Enable" } else { "Disable" };
                    let aria = format!("{action_label} {}", u.email);
                    view! {
                        <tr>
                            <td>{u.display_name.clone()}</td>
                            <td>{u.email.clone()}</td>
                            <td>{u.role.label()}</td>
                            <td>{if u.disabled { "Disabled" } else { "Active" }}</td>
                            <td>
                                <ActionForm action=toggle>
                                    <input type="hidden" name="user_id" value=u.id.to_string() />
                                    <input type="hidden" name="disabled" value=(!u.disabled).to_string() />
                                    <button type="submit" class="ghost" aria-label=aria>
                                        {action_label}
                                    </button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
