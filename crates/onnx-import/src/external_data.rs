//! Weights kept beside the model (ONNX external data, as exporters write models over 2 GB:
//! `model.onnx_data`), read from inside the model's folder only.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path};

use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::TensorProto;

use crate::error::ImportError;

/// Whether `t`'s values are stored outside the model file.
pub(crate) fn is_external(t: &TensorProto) -> bool {
    t.data_location.enum_value() == Ok(DataLocation::EXTERNAL)
}

/// The bytes of an external tensor: `length` bytes from `offset` of the file `location`, a path
/// relative to `folder` that stays inside it (no absolute path, no `..`, no link out of it).
pub(crate) fn read(t: &TensorProto, folder: Option<&Path>) -> Result<Vec<u8>, ImportError> {
    let refuse = |problem: String| ImportError::Invalid(format!("tensor `{}`: {problem}", t.name));
    let entry = |key: &str| t.external_data.iter().find(|e| e.key == key).map(|e| e.value.as_str());
    let number = |key: &str| -> Result<Option<u64>, ImportError> {
        entry(key)
            .map(|v| v.parse::<u64>().map_err(|_| refuse(format!("external data {key} `{v}`"))))
            .transpose()
    };
    let location =
        entry("location").ok_or_else(|| refuse("external data without a location".into()))?;
    let Some(folder) = folder else {
        return Err(refuse(format!(
            "its values are in `{location}` beside the model; read the model from its file"
        )));
    };
    let relative = Path::new(location);
    if relative.is_absolute()
        || relative.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(refuse(format!(
            "external data at `{location}`, outside the model's folder; relvis reads weights from inside it"
        )));
    }
    let path = folder.join(relative);
    let inside = match (path.canonicalize(), folder.canonicalize()) {
        (Ok(file), Ok(root)) => file.starts_with(root),
        _ => true, // a missing file is named by the read below
    };
    if !inside {
        return Err(refuse(format!(
            "external data at `{location}` links outside the model's folder; relvis reads weights from inside it"
        )));
    }
    let io = |source: std::io::Error| ImportError::Read { path: path.clone(), source };
    let mut file = std::fs::File::open(&path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?.unwrap_or(size.saturating_sub(offset));
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(refuse(format!(
            "external data {offset}+{length} bytes past the end of `{location}` ({size} bytes)"
        )));
    }
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = vec![0; length as usize];
    file.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}
