//! Field-level validation errors. The `code` is a stable identifier that the API returns as
//! is and that the pages translate through the fluent key `err-<code>`.

use serde::Serialize;

use super::ids::IdError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    /// For length errors: how many characters were expected and how many were typed
    /// ("SIRET : 14 chiffres attendus, 13 saisis").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<usize>,
}

impl FieldError {
    #[must_use]
    pub const fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            expected: None,
            found: None,
        }
    }

    /// The fluent key of the message.
    #[must_use]
    pub fn key(&self) -> String {
        format!("err-{}", self.code)
    }
}

/// A set of field errors; empty means the input was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    #[must_use]
    pub fn single(field: &'static str, code: &'static str) -> Self {
        Self(vec![FieldError::new(field, code)])
    }

    pub fn push(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError::new(field, code));
    }

    /// Records the error of a parse result and returns the parsed value, if any.
    pub fn take<T>(&mut self, field: &'static str, result: Result<T, &'static str>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(code) => {
                self.push(field, code);
                None
            }
        }
    }

    /// As [`FieldErrors::take`] for identifiers, keeping the lengths for the message.
    pub fn take_id<T>(&mut self, field: &'static str, result: Result<T, IdError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(FieldError {
                    field,
                    code: error.code,
                    expected: error.expected,
                    found: error.found,
                });
                None
            }
        }
    }

    /// An optional identifier: blank input is `None`, anything else must parse.
    pub fn take_optional_id<T>(
        &mut self,
        field: &'static str,
        input: &str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        if input.trim().is_empty() {
            None
        } else {
            self.take_id(field, parse(input))
        }
    }

    pub fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn code_for(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }

    /// `Ok(value)` when no error was recorded.
    ///
    /// # Errors
    /// The recorded errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}
