//! `relvis.VideoModel` and `relvis.VideoExplanation`: the Fisher-vector / linear-SVM action
//! classifier on motion read from compressed video, explained onto blocks and frames.

use std::path::PathBuf;

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use rayon::prelude::*;
use video::VideoClassifier;
use video::{explain_clip, ExplanationRecord, VideoExplanation, DEFAULT_RULE};

use crate::errors::{usage, video_error};

/// A video action classifier that explains its decisions onto blocks and frames.
#[pyclass(name = "VideoModel", module = "relvis", frozen)]
pub(crate) struct PyVideoModel {
    model: VideoClassifier,
}

/// The clips of a call (one path, or a sequence of them) and whether one was given alone.
fn clips(paths: &Bound<'_, PyAny>) -> PyResult<(Vec<PathBuf>, bool)> {
    if let Ok(path) = paths.extract::<PathBuf>() {
        return Ok((vec![path], true));
    }
    let list: Vec<PathBuf> = paths
        .extract()
        .map_err(|_| usage("paths: expected a path (str or os.PathLike) or a sequence of them"))?;
    Ok((list, false))
}

#[pymethods]
impl PyVideoModel {
    /// Loads the model folder at `path` (made by `xai-video train`); the model embedded in
    /// relvis when `None`.
    #[new]
    #[pyo3(signature = (path=None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let model = py.detach(|| match &path {
            Some(dir) => VideoClassifier::load(dir),
            None => video::default_model(),
        });
        Ok(PyVideoModel { model: model.map_err(video_error)? })
    }

    /// The class names, in the order of the model's scores.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.model.config.classes.clone()
    }

    /// The predicted class and the SVM scores `s = w·Φ + b` of a clip (a label and a vector),
    /// or of a sequence of clips (a list of labels and an `n × classes` array), clips in
    /// parallel.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'py, PyAny>,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let (paths, single) = clips(paths)?;
        let predictions = py
            .detach(|| {
                paths.par_iter().map(|p| self.model.predict(p, None)).collect::<Result<Vec<_>, _>>()
            })
            .map_err(video_error)?;
        if single {
            let p = predictions.into_iter().next().expect("one clip");
            return Ok((
                p.class_name.into_pyobject(py)?.into_any().unbind(),
                PyArray1::from_vec(py, p.scores).into_any().unbind(),
            ));
        }
        let labels: Vec<String> = predictions.iter().map(|p| p.class_name.clone()).collect();
        let rows: Vec<Vec<f32>> = predictions.into_iter().map(|p| p.scores).collect();
        let scores = if rows.is_empty() {
            numpy::ndarray::Array2::<f32>::zeros((0, self.model.config.classes.len()))
                .into_pyarray(py)
        } else {
            PyArray2::from_vec2(py, &rows)?
        };
        Ok((labels.into_pyobject(py)?.into_any().unbind(), scores.into_any().unbind()))
    }

    /// Explains the score of `target` (a class name or index; the predicted class when `None`)
    /// on the clip at `path` with LRP onto its blocks and frames: `rule` for all steps or a
    /// composite (steps 0 receptive-fields, 1 fisher-terms: lrp0 or epsilon, 3 dense: the SVM),
    /// e.g. `epsilon=0.001;dense:zplus`.
    #[pyo3(signature = (path, target=None, rule=DEFAULT_RULE))]
    fn explain(
        &self,
        py: Python<'_>,
        path: PathBuf,
        target: Option<&Bound<'_, PyAny>>,
        rule: &str,
    ) -> PyResult<PyVideoExplanation> {
        let classes = &self.model.config.classes;
        let class = match target {
            None => None,
            Some(t) => match (t.extract::<String>(), t.extract::<usize>()) {
                (Ok(name), _) => Some(self.model.class_index(&name).map_err(video_error)?),
                (_, Ok(i)) if i < classes.len() => Some(i),
                _ => {
                    return Err(usage(format!(
                        "target {t}: expected a class name or an index below {}",
                        classes.len()
                    )))
                }
            },
        };
        let rules: lrp::Composite =
            rule.parse().map_err(|e: lrp::LrpError| usage(e.to_string()))?;
        let e = py
            .detach(|| explain_clip(&self.model, &path, None, class, &rules))
            .map_err(video_error)?;
        Ok(PyVideoExplanation { e })
    }

    fn __repr__(&self) -> String {
        format!(
            "VideoModel({} classes: {})",
            self.model.config.classes.len(),
            self.model.config.classes.join(", ")
        )
    }
}

/// A clip's class score explained onto its blocks and frames.
#[pyclass(name = "VideoExplanation", module = "relvis", frozen)]
pub(crate) struct PyVideoExplanation {
    e: VideoExplanation,
}

#[pymethods]
impl PyVideoExplanation {
    /// Relevance per frame, block row and block column (float32, `frames × rows × cols`).
    #[getter]
    fn blocks<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray3<f32>> {
        self.e.blocks.clone().into_pyarray(py)
    }

    /// Relevance per frame: each frame's blocks summed.
    #[getter]
    fn per_frame<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.e.per_frame)
    }

    /// Each frame's type as the codec coded it: `I`, `P` or `B` (one letter per frame).
    #[getter]
    fn frame_types(&self) -> String {
        self.e.frame_kinds.iter().collect()
    }

    /// Each frame's presentation time in seconds.
    #[getter]
    fn frame_times<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.e.frame_times)
    }

    #[getter]
    fn target(&self) -> &str {
        &self.e.class_name
    }

    #[getter]
    fn target_index(&self) -> usize {
        self.e.class
    }

    /// The explained class's SVM score.
    #[getter]
    fn score(&self) -> f32 {
        self.e.score
    }

    /// SVM scores per class.
    #[getter]
    fn scores<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.e.scores)
    }

    /// `lrp RULES`.
    #[getter]
    fn method(&self) -> &str {
        &self.e.method
    }

    /// Where the score went: `explained`, `blocks` (their sum), `absorbed` and each step's sums.
    #[getter]
    fn conservation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let json = serde_json::to_string(&self.e.conservation).expect("serialises");
        Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
    }

    /// The explanation as the worker mode writes it (`xai-video explain --jsonl`), with the
    /// blocks as nested lists; `xai-video spray --explanations` reads it back.
    fn to_json(&self) -> String {
        serde_json::to_string(&ExplanationRecord::from(&self.e)).expect("serialises")
    }

    fn __repr__(&self) -> String {
        let (frames, rows, cols) = self.e.blocks.dim();
        format!(
            "VideoExplanation(target={:?}, score={:.4}, frames={frames}, grid={rows}x{cols})",
            self.e.class_name, self.e.score
        )
    }
}
