//! The `mpeg4_unpack_bframes` bitstream filter, for MPEG-4 Part 2 (DivX) files that pack a
//! B-frame into the packet of the P-frame before it.
//!
//! `ffmpeg-next` 9 has no bitstream-filter wrapper, so this calls FFmpeg's `av_bsf_*`
//! functions directly; every pointer is owned here and freed in `Drop`.

use std::ffi::CStr;
use std::ptr;

use ffmpeg::ffi;
use ffmpeg::packet::Mut as _;
use ffmpeg_next as ffmpeg;

/// An initialised `mpeg4_unpack_bframes` filter.
pub(crate) struct Unpacker {
    context: *mut ffi::AVBSFContext,
}

impl Unpacker {
    /// A filter for the stream with `parameters` and `time_base`.
    pub(crate) fn new(
        parameters: &ffmpeg::codec::Parameters,
        time_base: ffmpeg::Rational,
    ) -> Result<Self, ffmpeg::Error> {
        let name: &CStr = c"mpeg4_unpack_bframes";
        // SAFETY: FFmpeg's documented allocation sequence; on any failure the context is freed by Drop.
        unsafe {
            let filter = ffi::av_bsf_get_by_name(name.as_ptr());
            if filter.is_null() {
                return Err(ffmpeg::Error::BsfNotFound);
            }
            let mut unpacker = Unpacker { context: ptr::null_mut() };
            check(ffi::av_bsf_alloc(filter, &mut unpacker.context))?;
            check(ffi::avcodec_parameters_copy((*unpacker.context).par_in, parameters.as_ptr()))?;
            (*unpacker.context).time_base_in = time_base.into();
            check(ffi::av_bsf_init(unpacker.context))?;
            Ok(unpacker)
        }
    }

    /// Filters one packet; gives the packets that come out (none, one or two).
    pub(crate) fn filter(
        &mut self,
        mut packet: ffmpeg::Packet,
    ) -> Result<Vec<ffmpeg::Packet>, ffmpeg::Error> {
        let stream = packet.stream();
        // SAFETY: the packet is a valid AVPacket; send_packet takes its reference and blanks it.
        unsafe { check(ffi::av_bsf_send_packet(self.context, packet.as_mut_ptr()))? };
        self.receive(stream)
    }

    /// Drains the filter at the end of the stream.
    pub(crate) fn flush(&mut self) -> Result<Vec<ffmpeg::Packet>, ffmpeg::Error> {
        // SAFETY: a null packet signals the end of the stream.
        unsafe { check(ffi::av_bsf_send_packet(self.context, ptr::null_mut()))? };
        self.receive(0)
    }

    fn receive(&mut self, stream: usize) -> Result<Vec<ffmpeg::Packet>, ffmpeg::Error> {
        let mut out = Vec::new();
        loop {
            let mut packet = ffmpeg::Packet::empty();
            // SAFETY: receive_packet fills an empty, owned packet.
            match unsafe { ffi::av_bsf_receive_packet(self.context, packet.as_mut_ptr()) } {
                0 => {
                    packet.set_stream(stream);
                    out.push(packet);
                }
                e if e == ffi::AVERROR(ffi::EAGAIN) || e == ffi::AVERROR_EOF => return Ok(out),
                e => return Err(ffmpeg::Error::from(e)),
            }
        }
    }
}

fn check(code: i32) -> Result<(), ffmpeg::Error> {
    if code < 0 {
        Err(ffmpeg::Error::from(code))
    } else {
        Ok(())
    }
}

impl Drop for Unpacker {
    fn drop(&mut self) {
        // SAFETY: frees the context allocated in `new` (a null pointer is allowed).
        unsafe { ffi::av_bsf_free(&mut self.context) };
    }
}
