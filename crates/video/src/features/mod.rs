//! Stage 2, features: HOF/MBH descriptors with their receptive fields; a clip's descriptors,
//! all at once or streamed while it decodes; PCA, Gaussian mixture and Fisher vectors.

mod clip_descriptors;
mod descriptor;
mod descriptor_batch;
mod fisher;
mod squared_norm;

pub(crate) use clip_descriptors::channel;
pub use clip_descriptors::{
    clip_descriptors, stream_clip, stream_descriptors, ClipDescriptors, StreamedClip, CHANNELS,
};
pub(crate) use descriptor::{window_cuboids, FrameHistograms};
pub use descriptor::{DescriptorExtractor, DescriptorOptions};
pub use descriptor_batch::{Descriptor, DescriptorBatch};
pub use fisher::{
    DiagonalGmm, FisherEncoder, Projection, CHUNK, MIN_VARIANCE, NEGLIGIBLE_POSTERIOR,
};
