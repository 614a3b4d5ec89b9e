//! The rules of internal chats as plain functions, tested without a database.

use crate::model::AppError;
use crate::model::ids::UserId;
use crate::model::internal_chat::MemberRole;

/// The key of the personal chat between `a` and `b`, the same either way round: one chat per
/// pair, held by a unique index.
pub fn direct_key(a: UserId, b: UserId) -> String {
    let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    format!("{}:{}", low.0, high.0)
}

/// A group keeps at least one admin: the change that would leave it without one is refused.
pub fn keeps_an_admin(
    members: &[(UserId, MemberRole)],
    changed: UserId,
    new_role: Option<MemberRole>,
) -> Result<(), AppError> {
    let admins_after = members
        .iter()
        .filter(|(id, role)| {
            let role = if *id == changed {
                new_role
            } else {
                Some(*role)
            };
            role == Some(MemberRole::Admin)
        })
        .count();
    if admins_after == 0 {
        return Err(AppError::Conflict(
            "A group chat needs an admin: make someone else its admin first.".into(),
        ));
    }
    Ok(())
}

/// Whether a group of `current` members may take `adding` more under the limit.
pub fn fits(current: usize, adding: usize, max_members: usize) -> Result<(), AppError> {
    if current + adding > max_members {
        return Err(AppError::invalid(
            "user_ids",
            format!(
                "A group chat holds at most {max_members} members; it has {current}, and {adding} would be added."
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_has_one_key_either_way_round() {
        assert_eq!(direct_key(UserId(7), UserId(3)), "3:7");
        assert_eq!(direct_key(UserId(3), UserId(7)), "3:7");
        assert_ne!(
            direct_key(UserId(3), UserId(7)),
            direct_key(UserId(3), UserId(8))
        );
    }

    #[test]
    fn the_last_admin_can_be_neither_demoted_nor_removed() {
        let members = [
            (UserId(1), MemberRole::Admin),
            (UserId(2), MemberRole::Member),
        ];
        assert!(keeps_an_admin(&members, UserId(1), Some(MemberRole::Member)).is_err());
        assert!(keeps_an_admin(&members, UserId(1), None).is_err());
        assert!(keeps_an_admin(&members, UserId(2), None).is_ok());
        assert!(keeps_an_admin(&members, UserId(2), Some(MemberRole::Admin)).is_ok());
        let two = [
            (UserId(1), MemberRole::Admin),
            (UserId(2), MemberRole::Admin),
        ];
        assert!(keeps_an_admin(&two, UserId(1), None).is_ok());
    }

    #[test]
    fn a_group_is_bounded() {
        assert!(fits(10, 5, 15).is_ok());
        let err = fits(10, 6, 15).expect_err("over the limit");
        assert!(err.to_string().contains("at most 15"), "{err}");
    }
}
