//! From packets to decoded frames: packets read and sent to the decoder (through the
//! unpacker), frames taken back in display order with their vectors, pictures and decode
//! positions, queued until their references are known.

use std::rc::Rc;

use ffmpeg::util::frame::side_data;
use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg_next as ffmpeg;

use super::estimate::Reestimator;
use super::reference::ReferenceModel;
use super::vectors::{raw_vectors, RawVector};
use super::{Decoded, FrameKind, MotionReader, Stored};
use crate::error::VideoError;

impl MotionReader {
    /// Decodes until at least one frame is ready or the stream ends.
    pub(super) fn fill(&mut self) -> Result<(), VideoError> {
        while self.ready.is_empty() && !self.flushed {
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() != self.stream {
                        continue;
                    }
                    let packets = match &mut self.unpacker {
                        Some(unpacker) => unpacker
                            .filter(packet)
                            .map_err(|e| VideoError::decode(&self.path, e))?,
                        None => vec![packet],
                    };
                    for packet in packets {
                        self.send(&packet)?;
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    if let Some(unpacker) = &mut self.unpacker {
                        for packet in
                            unpacker.flush().map_err(|e| VideoError::decode(&self.path, e))?
                        {
                            self.send(&packet)?;
                        }
                    }
                    self.end()?;
                }
                Err(_) => {
                    // A read error in the middle: keep what decoded, count it, and stop here.
                    self.corrupt_packets += 1;
                    self.end()?;
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, packet: &ffmpeg::Packet) -> Result<(), VideoError> {
        if let Some(pts) = packet.pts() {
            let reference =
                self.framing.zip(packet.data()).and_then(|(f, data)| f.is_reference(data));
            self.decode_order.insert(pts, (self.packets_sent, reference));
        }
        self.packets_sent += 1;
        if self.decoder.send_packet(packet).is_err() {
            self.corrupt_packets += 1;
        }
        self.receive_frames()
    }

    /// The end of the stream: drain the decoder (and the re-estimator), finish every frame.
    fn end(&mut self) -> Result<(), VideoError> {
        let _ = self.decoder.send_eof();
        self.receive_frames()?;
        if let Some(r) = &mut self.reestimator {
            r.finish().map_err(|e| {
                VideoError::decode(&self.path, format!("re-estimating motion: {e}"))
            })?;
            self.take_estimates();
        }
        self.flushed = true;
        self.release();
        Ok(())
    }

    fn receive_frames(&mut self) -> Result<(), VideoError> {
        let mut frame = VideoFrame::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            self.accept(&frame)?;
        }
        Ok(())
    }

    /// Takes a decoded frame (display order).
    fn accept(&mut self, decoded: &VideoFrame) -> Result<(), VideoError> {
        if decoded.is_corrupt() || decoded.has_decode_errors() {
            self.damaged_frames += 1;
        }
        let size = (decoded.width() as usize, decoded.height() as usize);
        let resized = size != self.coded;
        let resized_frame;
        let frame = if resized {
            self.resized_frames += 1;
            resized_frame = self
                .pictures
                .resize(decoded, self.coded)
                .map_err(|e| VideoError::decode(&self.path, e))?;
            &resized_frame
        } else {
            decoded
        };
        let mut vectors =
            if self.reestimator.is_some() { Vec::new() } else { frame_vectors(decoded) };
        if resized && !vectors.is_empty() {
            let scale = (self.coded.0 as f32 / size.0 as f32, self.coded.1 as f32 / size.1 as f32);
            vectors = vectors.into_iter().map(|v| v.scaled(scale)).collect();
        }
        let kind = FrameKind::of(decoded.kind());
        if self.b_vectors_unusable && kind == FrameKind::B {
            vectors.clear();
        }
        let time = decoded
            .timestamp()
            .or(decoded.pts())
            .map_or(self.next_index as f64 / self.info.frame_rate.unwrap_or(25.0), |t| {
                t as f64 * self.time_base
            });
        let (decode, reference) = decoded
            .pts()
            .and_then(|pts| self.decode_order.remove(&pts))
            .map_or((None, None), |(d, r)| (Some(d), r));
        let luma = if self.model == ReferenceModel::Matched && self.reestimator.is_none() {
            Some(Rc::new(self.pictures.luma(frame).map_err(|e| VideoError::decode(&self.path, e))?))
        } else {
            None
        };
        let picture =
            if self.options.pictures {
                Some(self.info.rotation.picture(
                    self.pictures.rgb(frame).map_err(|e| VideoError::decode(&self.path, e))?,
                ))
            } else {
                None
            };
        let entry = Decoded {
            display: self.next_index,
            decode,
            reference,
            time,
            kind,
            vectors,
            luma,
            picture,
        };
        self.next_index += 1;
        if let Some(d) = decode {
            self.decoded_seen.insert(d);
        }
        if let Some(r) = &mut self.reestimator {
            r.push(frame).map_err(|e| {
                VideoError::decode(&self.path, format!("re-estimating motion: {e}"))
            })?;
            self.estimating.push_back(entry);
            self.take_estimates();
        } else {
            if let Some(luma) = &entry.luma {
                self.history.push_back(Stored {
                    display: entry.display,
                    decode: entry.decode,
                    reference: entry.reference,
                    luma: Rc::clone(luma),
                });
            }
            self.pending.push_back(entry);
        }
        self.release();
        Ok(())
    }

    /// Moves frames whose re-estimated vectors came back into the queue.
    fn take_estimates(&mut self) {
        while let Some((position, vectors)) = self.reestimator.as_mut().and_then(Reestimator::take)
        {
            while let Some(mut entry) = self.estimating.pop_front() {
                let found = entry.display == position;
                if found {
                    entry.vectors = vectors.clone();
                }
                self.pending.push_back(entry);
                if found {
                    break;
                }
            }
        }
    }
}

/// The vectors exported with a decoded frame.
fn frame_vectors(frame: &VideoFrame) -> Vec<RawVector> {
    frame
        .side_data(side_data::Type::MotionVectors)
        .map(|data| raw_vectors(data.data()))
        .unwrap_or_default()
}
