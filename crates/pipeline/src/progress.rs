//! How long library work tells its caller how far it has come: one callback shape for every
//! counted job (documents explained, clips predicted, folds trained), so a binary shows them
//! all with the same bar and a library caller passes `&|_, _| {}`.

/// Called with `(done, total)` units of work after each one finishes, from any thread.
pub type Progress<'a> = dyn Fn(usize, usize) + Sync + 'a;
