//! Field-level validation errors. The `code` is a stable identifier that the API returns as
//! is and that the pages translate through the fluent key `err-<code>`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldError {
    #[must_use]
    pub const fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}

/// A set of field errors; empty means the input was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
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

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn code_for(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }
}
