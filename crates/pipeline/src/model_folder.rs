//! Model folders: a JSON config with `format` and `version`, a `weights.safetensors` file,
//! maybe more, written through a staged folder so that a folder is whole or absent.

use std::collections::HashMap;
use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

/// Weights beyond this magnitude are refused when loading: no trained model comes near it,
/// and it keeps every score finite (the scores of weights near f32's limit overflow).
pub const MAX_ABS_WEIGHT: f32 = 1e6;

/// The number format of the weights in `weights.safetensors`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightPrecision {
    /// IEEE single precision, as trained.
    #[default]
    F32,
    /// IEEE half precision: half the file; a model is rounded to it before it is measured,
    /// so the saved model is the measured one.
    F16,
}

impl std::str::FromStr for WeightPrecision {
    type Err = String;

    /// `f32` or `f16`, as in a model's config.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "f32" => Ok(WeightPrecision::F32),
            "f16" => Ok(WeightPrecision::F16),
            other => Err(format!("`{other}`: expected `f16` or `f32`")),
        }
    }
}

impl WeightPrecision {
    fn dtype(self) -> Dtype {
        match self {
            WeightPrecision::F32 => Dtype::F32,
            WeightPrecision::F16 => Dtype::F16,
        }
    }

    /// Little-endian bytes of `values` in this format (rounded to nearest for f16).
    fn encode<'a>(self, values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
        match self {
            WeightPrecision::F32 => values.flat_map(|v| v.to_le_bytes()).collect(),
            WeightPrecision::F16 => {
                values.flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect()
            }
        }
    }

    /// Values from little-endian bytes in this format.
    fn decode(self, bytes: &[u8]) -> Vec<f32> {
        match self {
            WeightPrecision::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            WeightPrecision::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        }
    }
}

/// Checks a config's `format` (must be `format`) and `version` (within `versions`); what is
/// wrong, in words, otherwise. `kind` names the model kind (`text`, `video`).
pub fn check_format(
    config: &serde_json::Value,
    format: &str,
    versions: RangeInclusive<u32>,
    kind: &str,
) -> Result<(), String> {
    let (found, version) = (
        config.get("format").and_then(|v| v.as_str()),
        config.get("version").and_then(|v| v.as_u64()),
    );
    if found != Some(format) {
        return Err(format!("not a relvis {kind} model (format {found:?}, expected \"{format}\")"));
    }
    if !version
        .is_some_and(|v| (u64::from(*versions.start())..=u64::from(*versions.end())).contains(&v))
    {
        let reads = if versions.start() == versions.end() {
            format!("version {}", versions.start())
        } else {
            format!("versions {} to {}", versions.start(), versions.end())
        };
        return Err(format!("format version {version:?}; this build reads {reads}"));
    }
    Ok(())
}

/// Tensor `name` of `tensors`, which must be stored in `precision` with `shape` and hold only
/// finite values within ±[`MAX_ABS_WEIGHT`]; what is wrong, in words, otherwise.
pub fn read_tensor(
    tensors: &SafeTensors,
    name: &str,
    precision: WeightPrecision,
    shape: &[usize],
) -> Result<ArrayD<f32>, String> {
    let view = tensors.tensor(name).map_err(|e| e.to_string())?;
    if view.dtype() != precision.dtype() || view.shape() != shape {
        return Err(format!(
            "tensor `{name}` is {:?} {:?}, the config needs {:?} {shape:?}",
            view.dtype(),
            view.shape(),
            precision.dtype()
        ));
    }
    let values = precision.decode(view.data());
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("tensor `{name}` holds a non-finite value at index {i}"));
    }
    if let Some(i) = values.iter().position(|v| v.abs() > MAX_ABS_WEIGHT) {
        return Err(format!("tensor `{name}` holds {:e} at index {i}, far beyond any trained weight (at most {MAX_ABS_WEIGHT:e})", values[i]));
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), values).expect("length checked by shape"))
}

/// The bytes of a safetensors file holding `tensors` in `precision`, with the model's
/// `format` and `version` in its metadata.
pub fn tensor_file(
    tensors: &[(String, ArrayD<f32>)],
    precision: WeightPrecision,
    format: &str,
    version: u32,
) -> Result<Vec<u8>, String> {
    let bytes: Vec<(&str, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, a)| (n.as_str(), a.shape().to_vec(), precision.encode(a.iter())))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, shape, data)| {
            TensorView::new(precision.dtype(), shape.clone(), data).map(|v| (*n, v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let metadata = HashMap::from([
        ("format".to_string(), format.to_string()),
        ("version".to_string(), version.to_string()),
    ]);
    // Not `serialize_to_file`: that makes the file private (0600), and a model is meant to be shared.
    let mut file =
        safetensors::serialize(views, Some(metadata.clone())).map_err(|e| e.to_string())?;
    in_key_order(&mut file, &metadata);
    Ok(file)
}

/// Puts the header's `__metadata__` entries in key order. safetensors keeps them in a
/// `HashMap`, whose order changes from process to process, so the same model would not
/// always give the same bytes; the reordered object has the same length.
fn in_key_order(file: &mut [u8], metadata: &HashMap<String, String>) {
    let sorted =
        serde_json::to_string(&metadata.iter().collect::<std::collections::BTreeMap<_, _>>())
            .expect("strings serialise");
    let header_len = u64::from_le_bytes(file[..8].try_into().expect("an 8-byte length")) as usize;
    let header = &mut file[8..8 + header_len];
    let key = b"{\"__metadata__\":";
    if header.starts_with(key) {
        let start = key.len();
        if let Some(end) = header[start..].iter().position(|&b| b == b'}').map(|p| start + p + 1) {
            if end - start == sorted.len() {
                header[start..end].copy_from_slice(sorted.as_bytes());
            }
        }
    }
}

/// Why a model folder could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{} exists", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Saves a model folder at `dir`: refused if it exists unless `overwrite`; `write` fills a
/// sibling staging folder, which is then moved into place whole (see
/// [`outcome::output::install_folder`]; `marker` is the file that marks a model folder).
pub fn save_folder<E: From<FolderError>>(
    dir: &Path,
    overwrite: bool,
    marker: &str,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if dir.exists() && !overwrite {
        return Err(FolderError::Exists(dir.to_path_buf()).into());
    }
    fn failed(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
        move |source| FolderError::Write { path: path.to_path_buf(), source }
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(failed(parent))?;
    let (staging, _tracked) = outcome::interrupt::Tracked::create(
        || tempfile::Builder::new().prefix(".relvis-model-").tempdir_in(parent),
        |t| t.path(),
    )
    .map_err(failed(parent))?;
    write(staging.path())?;
    // Without `overwrite`, another process may have saved there since the check above.
    outcome::interrupt::commit(|| {
        outcome::output::install_folder(staging.path(), dir, marker, overwrite)
    })
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists if !overwrite => FolderError::Exists(dir.to_path_buf()),
        _ => failed(dir)(e),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_round_trip_and_bad_ones_are_named() {
        let a =
            ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0.5, -1.25, 3.0, 0.0, 1e-3, -7.5]).unwrap();
        for precision in [WeightPrecision::F32, WeightPrecision::F16] {
            let bytes =
                tensor_file(&[("a".into(), a.clone())], precision, "relvis-test", 3).unwrap();
            let tensors = SafeTensors::deserialize(&bytes).unwrap();
            let back = read_tensor(&tensors, "a", precision, &[2, 3]).unwrap();
            let tolerance = if precision == WeightPrecision::F16 { 1e-3 } else { 0.0 };
            assert!(
                back.iter().zip(&a).all(|(x, y)| (x - y).abs() <= tolerance * y.abs().max(1.0)),
                "{back} vs {a}"
            );
            assert!(read_tensor(&tensors, "a", precision, &[3, 2])
                .unwrap_err()
                .contains("tensor `a`"));
            assert!(read_tensor(&tensors, "b", precision, &[2, 3]).is_err());
        }
        // The same tensors give the same bytes (metadata in key order, whatever the hasher).
        let files: Vec<Vec<u8>> = (0..8)
            .map(|_| {
                tensor_file(&[("a".into(), a.clone())], WeightPrecision::F32, "relvis-test", 3)
                    .unwrap()
            })
            .collect();
        assert!(files.windows(2).all(|w| w[0] == w[1]));
        let header = String::from_utf8_lossy(&files[0][8..]).into_owned();
        assert!(
            header.starts_with(r#"{"__metadata__":{"format":"relvis-test","version":"3"}"#),
            "{header}"
        );
        let huge = ArrayD::from_elem(IxDyn(&[2]), 2e6f32);
        let bytes =
            tensor_file(&[("w".into(), huge)], WeightPrecision::F32, "relvis-test", 1).unwrap();
        assert!(read_tensor(
            &SafeTensors::deserialize(&bytes).unwrap(),
            "w",
            WeightPrecision::F32,
            &[2]
        )
        .unwrap_err()
        .contains("far beyond"));
    }

    #[test]
    fn format_and_version_are_checked() {
        let config = |format: &str, version: u32| serde_json::json!({ "format": format, "version": version });
        assert!(check_format(&config("relvis-x", 2), "relvis-x", 1..=2, "x").is_ok());
        assert!(check_format(&config("relvis-y", 2), "relvis-x", 1..=2, "x")
            .unwrap_err()
            .contains("not a relvis x model"));
        assert!(check_format(&config("relvis-x", 3), "relvis-x", 1..=2, "x")
            .unwrap_err()
            .contains("versions 1 to 2"));
        assert!(check_format(&config("relvis-x", 3), "relvis-x", 1..=1, "x")
            .unwrap_err()
            .contains("reads version 1"));
    }
}
