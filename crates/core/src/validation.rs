//! Field-level validation errors.
//!
//! Every parser in core reports *all* the invalid fields of an input at once, so
//! that a client fixes its request in one round trip. The field names are those
//! of the request body (`title`, `recommendations[3].number`), because the API
//! returns them as they are in a problem document.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One invalid field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name as the client sent it, e.g. `planned_completion_on`.
    pub field: String,
    /// What is wrong, in words a client developer can act on.
    pub message: String,
}

/// Every invalid field of one input. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValidationErrors {
    errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// An empty collector, to be filled while checking each field.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single error, for checks that concern one field only.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records that `field` is invalid.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Keeps the value of a successful parse, or records its message under `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Merges the errors of a nested input, naming its fields under `prefix`
    /// (`recommendations[2]` + `title` → `recommendations[2].title`).
    pub fn absorb(&mut self, prefix: &str, nested: ValidationErrors) {
        for error in nested.errors {
            let field = if error.field.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", error.field)
            };
            self.errors.push(FieldError {
                field,
                message: error.message,
            });
        }
    }

    /// True when no field is invalid.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The invalid fields, in the order they were checked.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Ok when nothing was recorded, else the errors themselves.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid input")?;
        for (i, error) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks that a list holds no value twice; the message names the first repeat.
pub fn no_duplicates<T: PartialEq + fmt::Display>(items: &[T]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(format!("`{item}` is listed more than once"));
        }
    }
    Ok(())
}
