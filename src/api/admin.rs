//! User administration: admins list users, create managers and admins, disable anyone.

use crate::model::{AppError, UserView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state};

#[cfg(feature = "ssr")]
fn require_admin() -> Result<crate::server::services::sessions::SessionUser, AppError> {
    let me = crate::server::auth::current_user()?;
    if me.user.role == crate::model::Role::Admin {
        Ok(me)
    } else {
        Err(AppError::Forbidden)
    }
}

#[server(endpoint = "admin/users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::server::services::accounts;
    respond(
        async {
            require_admin()?;
            accounts::list(&state().db).await
        }
        .await,
    )
}

#[server(endpoint = "admin/users/create")]
pub async fn create_user(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<UserView, AppError> {
    use crate::server::services::accounts::{self, NewAccount};
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
            accounts::create(&st.db, account).await
        }
        .await,
    )
}

#[server(endpoint = "admin/users/disabled")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<UserView, AppError> {
    use crate::server::services::accounts;
    respond(
        async {
            let me = require_admin()?;
            accounts::set_disabled(&state().db, me.user.id, user_id, disabled).await
        }
        .await,
    )
}
