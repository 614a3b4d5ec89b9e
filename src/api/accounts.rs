//! Signup, login, logout, the current user, password change.

use crate::model::ids::UserId;
use crate::model::user::SessionView;
use crate::model::{AppError, UserView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{client_ip, limit_by_ip, require_admin, respond, state, viewer};

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        opts.append_header(http::header::SET_COOKIE, v);
    }
}

#[cfg(feature = "ssr")]
async fn start_session(user_id: UserId) -> Result<(), AppError> {
    use crate::server::accounts::{auth, sessions};
    let st = state();
    // Signing in always gets a new session id; a session the browser already had ends, so an id
    // planted before sign-in is worth nothing after it.
    if let Ok(before) = auth::current_user() {
        // Already gone (signed out elsewhere) is fine.
        sessions::end(&st.db, &st.hub, before.user.id, &before.session_id).await?;
    }
    let ttl = st.session_ttl();
    let device = sessions::Device {
        user_agent: use_context::<http::request::Parts>()
            .and_then(|p| p.headers.get(http::header::USER_AGENT).cloned())
            .and_then(|v| v.to_str().ok().map(str::to_owned)),
        ip: client_ip().map(|ip| ip.to_string()),
    };
    let token = sessions::start(&st.db, &st.session_key, user_id, ttl, device).await?;
    set_cookie(&auth::session_cookie(
        &token,
        ttl.num_hours(),
        st.settings.secure_cookies(),
    ));
    Ok(())
}

/// A new password, its error shown at the `new_password` field (the rule names `password`).
#[cfg(feature = "ssr")]
fn parse_new_password(raw: &str) -> Result<crate::model::account_input::NewPassword, AppError> {
    use crate::model::account_input::NewPassword;
    NewPassword::parse(raw, state().settings.auth.min_password_len).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::invalid("new_password", message),
        other => other,
    })
}

/// Creates a client account and signs it in.
#[server(endpoint = "auth/signup", output = crate::model::wire::Answer)]
pub async fn signup(
    email: String,
    display_name: String,
    password: String,
) -> Result<UserView, AppError> {
    use crate::model::Role;
    use crate::server::accounts::service::{self as accounts, NewAccount};
    respond(
        async {
            limit_by_ip(|l| &l.auth_per_ip)?;
            let st = state();
            let account = NewAccount::parse(
                &email,
                &display_name,
                &password,
                Role::Client.as_str(),
                st.settings.auth.min_password_len,
            )?;
            let links = st.mail_links();
            let user = accounts::create(&st.db, &st.hasher, Some(&links), account).await?;
            start_session(user.id).await?;
            leptos_axum::redirect("/");
            Ok(user)
        }
        .await,
    )
}

#[server(endpoint = "auth/login", output = crate::model::wire::Answer)]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserView, AppError> {
    use crate::server::accounts::redirect::safe_next;
    use crate::server::accounts::service as accounts;
    respond(
        async {
            limit_by_ip(|l| &l.auth_per_ip)?;
            let st = state();
            let user =
                accounts::authenticate(&st.db, &st.hasher, &email, &password, st.login_policy())
                    .await?;
            start_session(user.id).await?;
            leptos_axum::redirect(&safe_next(next.as_deref(), &st.settings.public_url()));
            Ok(user)
        }
        .await,
    )
}

/// Ends this session (server-side too) and clears the cookie. Harmless when not signed in.
#[server(endpoint = "auth/logout", output = crate::model::wire::Answer)]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::accounts::{auth, sessions};
    respond(
        async {
            let st = state();
            if let Ok(me) = auth::current_user() {
                sessions::end(&st.db, &st.hub, me.user.id, &me.session_id).await?;
            }
            set_cookie(&auth::clear_session_cookie(st.settings.secure_cookies()));
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// The signed-in user, or None for a visitor.
#[server(endpoint = "auth/me", output = crate::model::wire::Answer)]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    Ok(crate::server::accounts::auth::current_user()
        .ok()
        .map(|s| s.user))
}

/// Changes the password; every other session of this user is signed out.
#[server(endpoint = "auth/password", output = crate::model::wire::Answer)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{auth, service as accounts};
    respond(
        async {
            let st = state();
            let me = auth::current_user()?;
            limit_by_ip(|l| &l.auth_per_ip)?;
            let new_password = parse_new_password(&new_password)?;
            accounts::change_password(
                &st.db,
                &st.hub,
                &st.hasher,
                st.login_policy(),
                me.user.id,
                &me.session_id,
                &current_password,
                new_password,
            )
            .await
        }
        .await,
    )
}

/// Mails a password-reset link when the email has an account; answers the same either way.
#[server(endpoint = "auth/reset/request", output = crate::model::wire::Answer)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::accounts::email as account_mail;
    respond(
        async {
            limit_by_ip(|l| &l.auth_per_ip)?;
            let st = state();
            account_mail::request_reset(&st.db, &st.mail_links(), &email).await
        }
        .await,
    )
}

/// Sets a new password with the token from a reset mail; every session of the account ends.
#[server(endpoint = "auth/reset/complete", output = crate::model::wire::Answer)]
pub async fn complete_password_reset(token: String, new_password: String) -> Result<(), AppError> {
    use crate::server::accounts::email as account_mail;
    respond(
        async {
            limit_by_ip(|l| &l.auth_per_ip)?;
            let st = state();
            let new_password = parse_new_password(&new_password)?;
            account_mail::complete_reset(&st.db, &st.hub, &st.hasher, &token, new_password).await?;
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        .await,
    )
}

/// First run: creates the first administrator with the setup code from the server's log, and
/// signs them in. Works once; afterwards the page is gone (404).
#[server(endpoint = "setup/admin", output = crate::model::wire::Answer)]
pub async fn create_first_admin(
    code: String,
    email: String,
    display_name: String,
    password: String,
) -> Result<UserView, AppError> {
    use crate::model::Role;
    use crate::server::accounts::service::{self as accounts, NewAccount};
    respond(
        async {
            limit_by_ip(|l| &l.auth_per_ip)?;
            let st = state();
            if !st.setup.pending() {
                return Err(AppError::NotFound);
            }
            // Bad input must not use the code up.
            let account = NewAccount::parse(
                &email,
                &display_name,
                &password,
                Role::Admin.as_str(),
                st.settings.auth.min_password_len,
            )?;
            if !st.setup.claim(&code) {
                tracing::warn!("wrong setup code");
                return Err(AppError::invalid(
                    "code",
                    "That is not the setup code. It is in the server's log.",
                ));
            }
            if accounts::admin_exists(&st.db).await? {
                return Err(AppError::NotFound);
            }
            let user = match accounts::create(&st.db, &st.hasher, None, account).await {
                Ok(user) => user,
                Err(e) => {
                    st.setup.reopen(&code);
                    return Err(e);
                }
            };
            tracing::info!(email = %user.email, "first administrator created through setup");
            start_session(user.id).await?;
            leptos_axum::redirect("/");
            Ok(user)
        }
        .await,
    )
}

/// The signed-in user's sessions (device, address, last use), this one marked.
#[server(endpoint = "auth/sessions", output = crate::model::wire::Answer)]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::server::accounts::{auth, sessions};
    respond(
        async {
            let me = auth::current_user()?;
            sessions::list_for(&state().db, me.user.id, &me.session_id).await
        }
        .await,
    )
}

/// Signs out one of the user's sessions (another device, or this one).
#[server(endpoint = "auth/sessions/end", output = crate::model::wire::Answer)]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    use crate::server::accounts::{auth, sessions};
    respond(
        async {
            let me = auth::current_user()?;
            let st = state();
            if !sessions::end(&st.db, &st.hub, me.user.id, &session_id).await? {
                return Err(AppError::NotFound);
            }
            if session_id == me.session_id {
                set_cookie(&auth::clear_session_cookie(st.settings.secure_cookies()));
            }
            Ok(())
        }
        .await,
    )
}

/// Signs out every session of the user, this one too when `including_this` (then the cookie goes).
#[server(endpoint = "auth/sessions/end-all", output = crate::model::wire::Answer)]
pub async fn end_all_sessions(including_this: bool) -> Result<u64, AppError> {
    use crate::server::accounts::{auth, sessions};
    respond(
        async {
            let me = auth::current_user()?;
            let st = state();
            let keep = (!including_this).then_some(me.session_id.as_str());
            let ended = sessions::end_all_for_user(&st.db, &st.hub, me.user.id, keep).await?;
            if including_this {
                set_cookie(&auth::clear_session_cookie(st.settings.secure_cookies()));
            }
            Ok(ended)
        }
        .await,
    )
}

#[server(endpoint = "admin/users", output = crate::model::wire::Answer)]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::server::accounts::service as accounts;
    respond(
        async {
            require_admin()?;
            accounts::list(&state().db).await
        }
        .await,
    )
}

#[server(endpoint = "admin/users/create", output = crate::model::wire::Answer)]
pub async fn create_user(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<UserView, AppError> {
    use crate::server::accounts::service::{self as accounts, NewAccount};
    respond(
        async {
            require_admin()?;
            let st = state();
            let account = NewAccount::parse(
                &email,
                &display_name,
                &password,
                &role,
                st.settings.auth.min_password_len,
            )?;
            accounts::create(&st.db, &st.hasher, Some(&st.mail_links()), account).await
        }
        .await,
    )
}

/// The signed-in user turns their notification sound on or off.
#[server(endpoint = "accounts/sound", output = crate::model::wire::Answer)]
pub async fn set_sound(on: bool) -> Result<(), AppError> {
    use crate::server::accounts::service as accounts;
    respond(
        async {
            let viewer = viewer()?;
            let st = state();
            accounts::set_sound(&st.db, &st.hub, viewer.id, on).await
        }
        .await,
    )
}

/// The signed-in user's phone and company.
#[server(endpoint = "accounts/profile", output = crate::model::wire::Answer)]
pub async fn my_profile() -> Result<crate::model::account_input::Profile, AppError> {
    use crate::server::accounts::service as accounts;
    respond(async { accounts::profile(&state().db, viewer()?.id).await }.await)
}

/// The signed-in user saves their phone and company (either may be empty).
#[server(endpoint = "accounts/profile/save", output = crate::model::wire::Answer)]
pub async fn save_profile(phone: String, company: String) -> Result<(), AppError> {
    use crate::model::account_input::Profile;
    use crate::server::accounts::service as accounts;
    respond(
        async {
            let viewer = viewer()?;
            let profile = Profile::parse(&phone, &company)?;
            accounts::set_profile(&state().db, viewer.id, profile).await
        }
        .await,
    )
}

#[server(endpoint = "admin/users/disabled", output = crate::model::wire::Answer)]
pub async fn set_user_disabled(user_id: UserId, disabled: bool) -> Result<UserView, AppError> {
    use crate::server::accounts::service as accounts;
    respond(
        async {
            let me = require_admin()?;
            let st = state();
            accounts::set_disabled(&st.db, &st.hub, me.user.id, user_id, disabled).await
        }
        .await,
    )
}
