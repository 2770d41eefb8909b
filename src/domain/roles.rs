//! Roles and the rules of company user administration (DOMAIN.md "Who uses it").

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Company settings, users, bank details, KYC.
    Admin,
    /// Day-to-day invoicing.
    Member,
    /// Platform operator; belongs to no company.
    Staff,
}

impl Role {
    /// # Errors
    /// `role-invalid` for anything but the stored names.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        match value {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            "staff" => Ok(Self::Staff),
            _ => Err("role-invalid"),
        }
    }

    /// Roles an admin may give to a company user (never staff).
    ///
    /// # Errors
    /// `role-invalid`.
    pub fn parse_company_role(value: &str) -> Result<Self, &'static str> {
        match Self::parse(value)? {
            Self::Staff => Err("role-invalid"),
            role => Ok(role),
        }
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Staff => "staff",
        }
    }

    #[must_use]
    pub const fn can_administer_company(self) -> bool {
        matches!(self, Self::Admin)
    }

    #[must_use]
    pub const fn is_seller(self) -> bool {
        matches!(self, Self::Admin | Self::Member)
    }
}

/// Why a user administration action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAdminRefusal {
    LastAdmin,
    SelfRemoval,
}

impl UserAdminRefusal {
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::LastAdmin => "last-admin",
            Self::SelfRemoval => "self-removal",
        }
    }
}

/// A company must keep at least one *active* admin: demoting the last one would lock
/// everybody out of settings, users and bank details.
///
/// `active_admins` counts the company's activated admins, including the target if it is one.
///
/// # Errors
/// `LastAdmin` when the change would leave no active admin.
pub fn check_role_change(
    current: Role,
    target_is_active: bool,
    new_role: Role,
    active_admins: u64,
) -> Result<(), UserAdminRefusal> {
    let loses_admin = current == Role::Admin && new_role != Role::Admin && target_is_active;
    if loses_admin && active_admins <= 1 {
        return Err(UserAdminRefusal::LastAdmin);
    }
    Ok(())
}

/// # Errors
/// `SelfRemoval` when an admin removes their own account (another admin must do it, so a
/// company is never left by mistake), `LastAdmin` as for a role change.
pub fn check_removal(
    actor_user_id: i64,
    target_user_id: i64,
    target_role: Role,
    target_is_active: bool,
    active_admins: u64,
) -> Result<(), UserAdminRefusal> {
    if actor_user_id == target_user_id {
        return Err(UserAdminRefusal::SelfRemoval);
    }
    check_role_change(target_role, target_is_active, Role::Member, active_admins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Role::Admin, true, Role::Member, 1, Err(UserAdminRefusal::LastAdmin))]
    #[case(Role::Admin, true, Role::Member, 2, Ok(()))]
    #[case(Role::Admin, true, Role::Admin, 1, Ok(()))]
    #[case(Role::Member, true, Role::Admin, 1, Ok(()))]
    #[case(Role::Member, true, Role::Member, 1, Ok(()))]
    // An invited admin who never activated does not count and may be demoted.
    #[case(Role::Admin, false, Role::Member, 1, Ok(()))]
    fn role_changes(
        #[case] current: Role,
        #[case] active: bool,
        #[case] new_role: Role,
        #[case] admins: u64,
        #[case] expected: Result<(), UserAdminRefusal>,
    ) {
        assert_eq!(
            check_role_change(current, active, new_role, admins),
            expected
        );
    }

    #[rstest]
    #[case(1, 1, Role::Admin, true, 2, Err(UserAdminRefusal::SelfRemoval))]
    #[case(1, 2, Role::Admin, true, 1, Err(UserAdminRefusal::LastAdmin))]
    #[case(1, 2, Role::Admin, true, 2, Ok(()))]
    #[case(1, 2, Role::Member, true, 1, Ok(()))]
    fn removals(
        #[case] actor: i64,
        #[case] target: i64,
        #[case] role: Role,
        #[case] active: bool,
        #[case] admins: u64,
        #[case] expected: Result<(), UserAdminRefusal>,
    ) {
        assert_eq!(check_removal(actor, target, role, active, admins), expected);
    }

    #[rstest]
    #[case("admin", Ok(Role::Admin))]
    #[case("member", Ok(Role::Member))]
    #[case("staff", Err("role-invalid"))]
    #[case("owner", Err("role-invalid"))]
    fn company_roles(#[case] input: &str, #[case] expected: Result<Role, &str>) {
        assert_eq!(Role::parse_company_role(input), expected);
    }

    proptest::proptest! {
        /// Whatever sequence of role changes is accepted, at least one active admin remains.
        #[test]
        fn never_zero_admins(changes in proptest::collection::vec((0usize..4, proptest::bool::ANY), 0..40)) {
            let mut roles = [Role::Admin, Role::Member, Role::Member, Role::Member];
            for (target, make_admin) in changes {
                let admins = roles.iter().filter(|r| **r == Role::Admin).count() as u64;
                let new_role = if make_admin { Role::Admin } else { Role::Member };
                if check_role_change(roles[target], true, new_role, admins).is_ok() {
                    roles[target] = new_role;
                }
                proptest::prop_assert!(roles.contains(&Role::Admin));
            }
        }
    }
}
