//! `relvis.TextModel` and `relvis.TextExplanation`: any model folder the command line takes
//! (relvis's own or an ONNX classifier), or the embedded default; `relvis.load_dataset`.

use std::path::PathBuf;
use std::sync::Arc;

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use rayon::prelude::*;
use text::Method;
use text::{AnyTextModel, TextExplanation, TextModel};

use crate::errors::{exception, text_error, usage};
use outcome::FailureKind;

/// A text classifier that explains its decisions word by word.
#[pyclass(name = "TextModel", module = "relvis", frozen)]
pub(crate) struct PyTextModel {
    model: AnyTextModel,
    classes: Arc<Vec<String>>,
}

/// The documents of a call (one, or a sequence of them) and whether one was given alone.
fn documents(texts: &Bound<'_, PyAny>) -> PyResult<(Vec<String>, bool)> {
    if texts.is_instance_of::<PyString>() || texts.is_instance_of::<PyBytes>() {
        return Ok((vec![document(texts, "text")?], true));
    }
    let items: Vec<Bound<'_, PyAny>> = texts
        .try_iter()
        .map_err(|_| usage("texts: expected a str, bytes, or a sequence of them"))?
        .collect::<PyResult<_>>()?;
    let docs = items
        .iter()
        .enumerate()
        .map(|(i, t)| document(t, &format!("texts[{i}]")))
        .collect::<PyResult<_>>()?;
    Ok((docs, false))
}

/// One document: a `str`, or `bytes` read as a document file is (UTF-8, else Latin-1), with
/// the same checks (binary data, empty).
fn document(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let bytes: Vec<u8> = if let Ok(s) = value.extract::<String>() {
        s.into_bytes()
    } else if value.is_instance_of::<PyBytes>() {
        value.extract()?
    } else {
        return Err(usage(format!(
            "{name}: expected a str or bytes, not {}",
            value.get_type().name()?
        )));
    };
    text::read_document(&bytes)
        .map_err(|problem| exception(FailureKind::InvalidInput, format!("{name}: {problem}")))
}

impl PyTextModel {
    /// The class index `target` names (a class name or an index), if any.
    fn target(&self, target: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
        let Some(target) = target else { return Ok(None) };
        if let Ok(name) = target.extract::<String>() {
            return self.model.class_index(&name).map(Some).map_err(text_error);
        }
        match target.extract::<usize>() {
            Ok(i) if i < self.classes.len() => Ok(Some(i)),
            _ => Err(usage(format!(
                "target {target}: expected a class name or an index below {}",
                self.classes.len()
            ))),
        }
    }
}

#[pymethods]
impl PyTextModel {
    /// Loads the model folder at `path` (made by `xai-text train`, or an ONNX classifier:
    /// model.onnx, tokenizer.json, config.json); the model embedded in relvis when `None`.
    #[new]
    #[pyo3(signature = (path=None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let model = py.detach(|| match &path {
            Some(dir) => text::load_model(dir),
            None => text::default_model().map(AnyTextModel::Native),
        });
        let model = model.map_err(text_error)?;
        let classes = Arc::new(model.classes().to_vec());
        Ok(PyTextModel { model, classes })
    }

    /// The class names, in the order of the model's scores.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.classes.to_vec()
    }

    /// The predicted class and the softmax probabilities `p_c = exp(s_c) / Σ_k exp(s_k)` of a
    /// document (a label and a vector), or of a sequence of documents (a list of labels and an
    /// `n × classes` array).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let (docs, single) = documents(texts)?;
        let predictions = py
            .detach(|| {
                docs.par_iter().map(|d| self.model.predict(d)).collect::<Result<Vec<_>, _>>()
            })
            .map_err(text_error)?;
        if single {
            let p = predictions.into_iter().next().expect("one document");
            return Ok((
                p.class_name.into_pyobject(py)?.into_any().unbind(),
                PyArray1::from_vec(py, p.probabilities).into_any().unbind(),
            ));
        }
        let labels: Vec<String> = predictions.iter().map(|p| p.class_name.clone()).collect();
        let rows: Vec<Vec<f32>> = predictions.into_iter().map(|p| p.probabilities).collect();
        let probabilities = if rows.is_empty() {
            numpy::ndarray::Array2::<f32>::zeros((0, self.classes.len())).into_pyarray(py)
        } else {
            PyArray2::from_vec2(py, &rows)?
        };
        Ok((labels.into_pyobject(py)?.into_any().unbind(), probabilities.into_any().unbind()))
    }

    /// Explains the score of `target` (a class name or index; the predicted class when `None`)
    /// on a document, or on each of a sequence of documents, word by word: LRP with `rule` (a
    /// rule for all layers or a composite, e.g. `epsilon=0.01;conv1d:zplus`; `attnlrp` or
    /// `cp-lrp` for transformers; by default `attnlrp` for a model with attention, else
    /// `epsilon=0.01`), `sa`
    /// (sensitivity, `|∂s/∂x|` per word), `gxi` (gradient × input, `Σ x ∂s/∂x`),
    /// `ig[:steps=N,baseline=zero|pad,quadrature=midpoint|gauss-legendre|graded]` (Integrated
    /// Gradients, `(x − x') ⊙ Σ_k w_k ∇s(x' + α_k (x − x'))`), `smoothgrad[:samples=N,noise=F,seed=S]`
    /// (`‖(1/n) Σ_i ∇s(x + ε_i)‖` per word) or `occlusion[:window=W]` (the score's drop when
    /// windows of W words are deleted).
    #[pyo3(signature = (texts, target=None, method="lrp", rule=None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        target: Option<&Bound<'py, PyAny>>,
        method: &str,
        rule: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let (docs, single) = documents(texts)?;
        let class = self.target(target)?;
        let rule = rule.unwrap_or(self.model.default_rule());
        let method = Method::parse(method, rule).map_err(|e| text_error(e.into()))?;
        let explained = py
            .detach(|| {
                docs.par_iter()
                    .map(|d| self.model.explain(d, class, &method))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(text_error)?;
        let mut objects = explained
            .into_iter()
            .map(|e| Py::new(py, PyTextExplanation { e, classes: Arc::clone(&self.classes) }));
        if single {
            return Ok(objects.next().expect("one document")?.into_any());
        }
        Ok(objects.collect::<PyResult<Vec<_>>>()?.into_pyobject(py)?.into_any().unbind())
    }

    fn __repr__(&self) -> String {
        format!("TextModel({} classes: {})", self.classes.len(), self.classes.join(", "))
    }
}

/// A document explained word by word for one class.
#[pyclass(name = "TextExplanation", module = "relvis", frozen)]
pub(crate) struct PyTextExplanation {
    e: TextExplanation,
    classes: Arc<Vec<String>>,
}

#[pymethods]
impl PyTextExplanation {
    /// The text the model read (after the model's cleaning).
    #[getter]
    fn text(&self) -> &str {
        &self.e.text
    }

    /// The words, as written.
    #[getter]
    fn words(&self) -> Vec<String> {
        self.e.words.iter().map(|w| w.word.clone()).collect()
    }

    /// Each word's `(start, end)` in `text`, in characters: `text[start:end] == word`.
    #[getter]
    fn spans(&self) -> Vec<(usize, usize)> {
        let starts: Vec<usize> = self.e.text.char_indices().map(|(b, _)| b).collect();
        let char_at = |byte: usize| starts.partition_point(|&b| b < byte);
        self.e.words.iter().map(|w| (char_at(w.span.start), char_at(w.span.end))).collect()
    }

    /// Relevance per word (float32): for LRP, `R_w = Σ_{tokens t of w} Σ_d R_{t,d}`.
    #[getter]
    fn relevance<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_iter(py, self.e.words.iter().map(|w| w.relevance))
    }

    /// Whether the model saw each word (False past its window, where relevance is 0).
    #[getter]
    fn seen<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<bool>> {
        PyArray1::from_iter(py, self.e.words.iter().map(|w| w.seen))
    }

    /// The explained class.
    #[getter]
    fn target(&self) -> &str {
        &self.e.class_name
    }

    #[getter]
    fn target_index(&self) -> usize {
        self.e.class
    }

    /// The explained class's score (logit).
    #[getter]
    fn score(&self) -> f32 {
        self.e.score
    }

    #[getter]
    fn predicted(&self) -> &str {
        &self.e.predicted_name
    }

    /// Scores (logits) per class.
    #[getter]
    fn scores<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.e.scores)
    }

    #[getter]
    fn probabilities<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.e.probabilities)
    }

    /// `lrp RULES`, `sa` or `gxi`.
    #[getter]
    fn method(&self) -> &str {
        &self.e.method
    }

    /// Whether relevances are signed (SA's are not).
    #[getter]
    fn signed(&self) -> bool {
        self.e.signed
    }

    /// The tokens the tokenizer added around the words (`[CLS]`, `[SEP]`, `<s>`…) as
    /// `(token, position, relevance)`; empty for models without them.
    #[getter]
    fn special_tokens(&self) -> Vec<(String, usize, f32)> {
        self.e.special_tokens.iter().map(|s| (s.token.clone(), s.position, s.relevance)).collect()
    }

    /// `(known, read)`: how many of the words the model read are in its vocabulary.
    #[getter]
    fn known_words(&self) -> (usize, usize) {
        (self.e.known_words.known, self.e.known_words.read)
    }

    /// For LRP, where the score went: `explained`, `words` (their sum), `padding` (what the
    /// padding of a short document took), `special` (the special tokens'), `absorbed` (by
    /// biases and ε; in a transformer also by position embeddings and the softmax rule) and
    /// each layer's sums;
    /// `None` for the other methods.
    #[getter]
    fn conservation(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(c) = &self.e.conservation else { return Ok(None) };
        let json = serde_json::to_string(c).expect("serialises");
        Ok(Some(py.import("json")?.call_method1("loads", (json,))?.unbind()))
    }

    /// For Integrated Gradients, how complete the sum is: `baseline`, `steps`, `quadrature`, `score`,
    /// `baseline_score` and `error` = `Σ R − (s(x) − s(x'))`; `None` for the other methods.
    #[getter]
    fn completeness(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(c) = &self.e.completeness else { return Ok(None) };
        let json = serde_json::to_string(c).expect("serialises");
        Ok(Some(py.import("json")?.call_method1("loads", (json,))?.unbind()))
    }

    /// The explanation as `xai-text explain --format json` prints it.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.e).expect("serialises")
    }

    /// The self-contained page `xai-text explain --format html` writes.
    fn to_html(&self) -> String {
        text::explanation_html(&self.e, &self.classes)
    }

    fn __repr__(&self) -> String {
        format!(
            "TextExplanation(target={:?}, score={:.4}, words={}, method={:?})",
            self.e.class_name,
            self.e.score,
            self.e.words.len(),
            self.e.method
        )
    }
}

/// Reads a labelled document set as the command line reads it: a folder per class (optionally
/// below `…train/` and `…test/`), a `.tar.gz` of one, a `.csv` or a `.jsonl` file; 20
/// Newsgroups (`$RELVIS_DATA/20news-bydate.tar.gz`) when `None`. Returns `classes` and the
/// `train` and `test` splits as lists of `{"id", "label", "text"}` (the label a class name);
/// a set without a split of its own is split per class, seeded (`test_fraction`, `split_seed`).
#[pyfunction]
#[pyo3(signature = (path=None, test_fraction=None, split_seed=None))]
pub(crate) fn load_dataset(
    py: Python<'_>,
    path: Option<PathBuf>,
    test_fraction: Option<f32>,
    split_seed: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let path = path.unwrap_or_else(text::default_newsgroups_path);
    let mut options = text::DatasetOptions::for_path(&path, None).map_err(text_error)?;
    if let Some(fraction) = test_fraction {
        if !(0.0..1.0).contains(&fraction) {
            return Err(usage(format!("test_fraction {fraction}: expected a share in [0, 1)")));
        }
        options.split.test_fraction = fraction;
    }
    if let Some(seed) = split_seed {
        options.split.seed = seed;
    }
    let corpus = py.detach(|| text::load_dataset(&path, &options)).map_err(text_error)?;
    let split = |docs: &[text::Document]| -> PyResult<Bound<'_, pyo3::types::PyList>> {
        let rows = pyo3::types::PyList::empty(py);
        for d in docs {
            let row = pyo3::types::PyDict::new(py);
            row.set_item("id", &d.id)?;
            row.set_item("label", &corpus.classes[d.label])?;
            row.set_item("text", &d.text)?;
            rows.append(row)?;
        }
        Ok(rows)
    };
    let set = pyo3::types::PyDict::new(py);
    set.set_item("classes", corpus.classes.clone())?;
    set.set_item("train", split(&corpus.train)?)?;
    set.set_item("test", split(&corpus.test)?)?;
    Ok(set.into_any().unbind())
}
