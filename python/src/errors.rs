//! Failures as Python exceptions: each kind of failure (`outcome::FailureKind`) has its class in
//! `relvis._errors`, all subclasses of `relvis.RelvisError` and of the built-in exception a
//! Python user would catch (`FileNotFoundError` for a missing input, `ValueError` for an invalid
//! one).

use outcome::{FailureKind, Fault};
use pyo3::prelude::*;

/// The exception of `kind` with `message`.
pub(crate) fn exception(kind: FailureKind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let class = match kind {
            FailureKind::Internal => "InternalError",
            FailureKind::Usage => "UsageError",
            FailureKind::MissingInput => "MissingInput",
            FailureKind::InvalidInput => "InvalidInput",
            FailureKind::Model => "ModelError",
            FailureKind::Output => "OutputError",
        };
        match py
            .import("relvis._errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.call1((message.clone(),)))
        {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        }
    })
}

pub(crate) fn text_error(e: text::TextError) -> PyErr {
    exception(e.kind(), e.to_string())
}

pub(crate) fn video_error(e: video::VideoError) -> PyErr {
    exception(e.kind(), e.to_string())
}

/// A value the caller passed that makes no sense (a `UsageError`).
pub(crate) fn usage(message: impl Into<String>) -> PyErr {
    exception(FailureKind::Usage, message)
}
