//! Password policy (ANSSI recommends length over composition rules).

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// # Errors
/// `password-too-short`, `password-too-long`, or `password-mismatch` when the confirmation
/// differs.
pub fn check_new_password(password: &str, confirmation: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err("password-too-short");
    }
    if length > MAX_LENGTH {
        return Err("password-too-long");
    }
    if password != confirmation {
        return Err("password-mismatch");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("correct horse", "correct horse", Ok(()))]
    #[case("éléphant-42", "éléphant-42", Ok(()))]
    #[case("court", "court", Err("password-too-short"))]
    #[case("123456789", "123456789", Err("password-too-short"))]
    #[case("correct horse", "correct house", Err("password-mismatch"))]
    fn checks(#[case] pw: &str, #[case] confirm: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(check_new_password(pw, confirm), expected);
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 10 characters, 20 bytes: accepted.
        assert_eq!(check_new_password("éééééééééé", "éééééééééé"), Ok(()));
        let long = "a".repeat(MAX_LENGTH + 1);
        assert_eq!(check_new_password(&long, &long), Err("password-too-long"));
    }
}
