//! The `relvis` Python package's native module: [`text`] (`TextModel`, `TextExplanation`,
//! `load_dataset`),
//! [`video`] (`VideoModel`, `VideoExplanation`) and [`analysis`] (`spray`, SpRAy). Long calls release
//! the GIL and spread their work over rayon's threads; errors become the exceptions of
//! `relvis._errors`, one class per kind of failure, as the command-line tools have one exit
//! code per kind.

mod analysis;
mod errors;
mod text;
mod video;

use pyo3::prelude::*;

#[pymodule]
fn _relvis(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<text::PyTextModel>()?;
    m.add_class::<text::PyTextExplanation>()?;
    m.add_class::<video::PyVideoModel>()?;
    m.add_class::<video::PyVideoExplanation>()?;
    m.add_class::<analysis::PySprayAnalysis>()?;
    m.add_function(wrap_pyfunction!(analysis::spray, m)?)?;
    m.add_function(wrap_pyfunction!(text::load_dataset, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
