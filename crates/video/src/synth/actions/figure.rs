//! The figure: its random look and timing, the poses of each action, its limbs, and a frame
//! rendered over a textured background with the figure's mask.

use std::f32::consts::PI;

use rand::rngs::StdRng;
use rand::Rng;

use super::cue::draw_artifact;
use super::ArtifactKind;
use crate::decode::RgbImage;

/// The random look and timing of one clip.
pub(super) struct Look {
    scale: f32,
    centre: (f32, f32),
    period: f32,
    phase: f32,
    mirror: bool,
    cloth: ([u8; 3], [u8; 3], f32),
    skin: [u8; 3],
    background: ([f32; 3], [f32; 3], u64),
    walk_speed: f32,
}

impl Look {
    pub(super) fn random(rng: &mut StdRng, width: usize, height: usize) -> Self {
        let colour = |rng: &mut StdRng| {
            [rng.gen_range(30..226), rng.gen_range(30..226), rng.gen_range(30..226)]
        };
        let scale = rng.gen_range(0.8..1.2) * height as f32 / 120.0;
        Look {
            scale,
            centre: (
                width as f32 * rng.gen_range(0.35..0.65),
                height as f32 * rng.gen_range(0.5..0.6),
            ),
            period: rng.gen_range(14.0..24.0),
            phase: rng.gen_range(0.0..1.0),
            mirror: rng.gen_bool(0.5),
            cloth: (colour(rng), colour(rng), rng.gen_range(3.0..6.0)),
            skin: [rng.gen_range(150..240), rng.gen_range(110..190), rng.gen_range(80..160)],
            background: (
                [
                    rng.gen_range(40.0..200.0),
                    rng.gen_range(40.0..200.0),
                    rng.gen_range(40.0..200.0),
                ],
                [rng.gen_range(20.0..80.0), rng.gen_range(20.0..80.0), rng.gen_range(20.0..80.0)],
                rng.gen(),
            ),
            walk_speed: rng.gen_range(0.6..1.2),
        }
    }
}

/// A limb: a thick segment between two points, textured along its length.
struct Limb {
    from: (f32, f32),
    to: (f32, f32),
    radius: f32,
    skin: bool,
}

/// Joint angles (radians, 0 = straight down, positive towards the figure's front) of a pose.
struct Pose {
    /// Torso lean forward from upright (radians); lying, how far it is raised (0 flat, 1 up).
    torso: f32,
    arms: [(f32, f32); 2],
    legs: [(f32, f32); 2],
    /// Vertical offset of the hip (jumps), in figure units.
    lift: f32,
    /// The whole figure lying on its back (sit-up).
    lying: bool,
}

fn pose(action: &str, s: f32) -> Pose {
    let w = (2.0 * PI * s).sin();
    let rest = Pose {
        torso: 0.0,
        arms: [(0.2, 0.1), (-0.2, -0.1)],
        legs: [(0.1, 0.0), (-0.1, 0.0)],
        lift: 0.0,
        lying: false,
    };
    match action {
        // A raised forearm swinging fast (twice the cycle rate) above the head.
        "wave" => Pose { arms: [(2.7, 0.9 * (4.0 * PI * s).sin()), (-0.2, -0.1)], ..rest },
        "jumping-jack" => {
            let open = 0.5 - 0.5 * (2.0 * PI * s).cos();
            Pose {
                arms: [(0.3 + 2.4 * open, 0.2), (-0.3 - 2.4 * open, -0.2)],
                legs: [(0.1 + 0.35 * open, 0.0), (-0.1 - 0.35 * open, 0.0)],
                lift: 3.0 * open,
                ..rest
            }
        }
        "walk" => Pose {
            arms: [(0.5 * w, 0.3), (-0.5 * w, 0.3)],
            legs: [(0.45 * w, -0.3 * w.max(0.0)), (-0.45 * w, 0.3 * w.min(0.0))],
            ..rest
        },
        "bend" => Pose {
            torso: 0.9 * (0.5 - 0.5 * (2.0 * PI * s).cos()),
            arms: [(0.1, 0.0), (0.1, 0.0)],
            ..rest
        },
        "sit-up" => Pose {
            torso: 0.5 - 0.5 * (2.0 * PI * s).cos(),
            arms: [(2.8, 0.0), (2.9, 0.0)],
            legs: [(2.0, -2.0), (1.9, -1.9)],
            lying: true,
            ..rest
        },
        "box" => {
            let punch = |p: f32| (0.5 + 0.5 * (2.0 * PI * (s + p)).sin()).powi(2);
            // Alternate straight punches at shoulder height; the body leans into each and bounces.
            Pose {
                torso: 0.15 * (punch(0.0) - punch(0.5)).abs(),
                arms: [(1.55, -2.2 * (1.0 - punch(0.0))), (1.55, -2.2 * (1.0 - punch(0.5)))],
                legs: [(0.3, -0.25), (-0.2, 0.0)],
                lift: 0.6 * (4.0 * PI * s).sin().abs(),
                ..rest
            }
        }
        _ => rest,
    }
}

/// The limbs of the figure at time `t` (frames), in pixels.
fn limbs(action: &str, look: &Look, t: f32) -> Vec<Limb> {
    let s = t / look.period + look.phase;
    let p = pose(action, s);
    let u = 6.0 * look.scale; // one figure unit in pixels
    let dir = if look.mirror { -1.0 } else { 1.0 };
    let walk = if action == "walk" { dir * look.walk_speed * (t - 20.0) } else { 0.0 };
    // Angles measured from straight down, positive towards the front (x grows with dir).
    let step = |(x, y): (f32, f32), angle: f32, length: f32| {
        (x + dir * angle.sin() * length * u, y + angle.cos() * length * u)
    };
    let mut hip = (look.centre.0 + walk, look.centre.1 - p.lift * u * 0.5);
    // Upright: straight up (π) leaning forward; lying: flat behind the hips (−π/2), raised
    // by up to 1.2 rad.
    let torso_angle = if p.lying {
        hip.1 += 2.5 * u;
        -PI / 2.0 - 1.2 * p.torso
    } else {
        PI - p.torso
    };
    let neck = step(hip, torso_angle, 5.0);
    let head = step(hip, torso_angle, 6.6);
    let side = |(x, y): (f32, f32), by: f32| (x + by * u * torso_angle.cos().abs().max(0.3), y);
    let mut out = vec![
        Limb { from: hip, to: neck, radius: 1.1 * u, skin: false },
        Limb { from: head, to: head, radius: 1.2 * u, skin: true },
    ];
    for (k, (upper, lower)) in p.arms.into_iter().enumerate() {
        let shoulder = side(step(hip, torso_angle, 4.4), if k == 0 { 1.0 } else { -1.0 });
        let elbow = step(shoulder, torso_angle + PI + upper, 2.6);
        let hand = step(elbow, torso_angle + PI + upper + lower, 2.4);
        out.push(Limb { from: shoulder, to: elbow, radius: 0.55 * u, skin: false });
        out.push(Limb { from: elbow, to: hand, radius: 0.45 * u, skin: true });
    }
    for (k, (upper, lower)) in p.legs.into_iter().enumerate() {
        let top = side(hip, if k == 0 { 0.6 } else { -0.6 });
        let knee = step(top, upper, 3.2);
        let foot = step(knee, upper + lower, 3.2);
        out.push(Limb { from: top, to: knee, radius: 0.7 * u, skin: false });
        out.push(Limb { from: knee, to: foot, radius: 0.55 * u, skin: false });
    }
    out
}

/// Value noise in [0, 1) on a lattice of `cell` pixels.
fn noise(seed: u64, x: f32, y: f32, cell: f32) -> f32 {
    let lattice = |ix: i64, iy: i64| -> f32 {
        let mut h = (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ seed;
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 32;
        (h >> 40) as f32 / (1u64 << 24) as f32
    };
    let (gx, gy) = (x / cell, y / cell);
    let (ix, iy) = (gx.floor() as i64, gy.floor() as i64);
    let (fx, fy) = (gx - gx.floor(), gy - gy.floor());
    let top = lattice(ix, iy) * (1.0 - fx) + lattice(ix + 1, iy) * fx;
    let bottom = lattice(ix, iy + 1) * (1.0 - fx) + lattice(ix + 1, iy + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Renders frame `t`: the picture and the figure's mask (row-major, true on the figure).
pub(super) fn render(
    action: &str,
    look: &Look,
    t: usize,
    jitter: (f32, f32),
    artifact: Option<ArtifactKind>,
    rng: &mut StdRng,
    size: (usize, usize),
) -> (RgbImage, Vec<bool>) {
    let (width, height) = size;
    let mut picture = RgbImage::filled(width, height, [0, 0, 0]);
    let mut mask = vec![false; width * height];
    let (base, span, seed) = look.background;
    let body = limbs(action, look, t as f32);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 + 0.5 + jitter.0, y as f32 + 0.5 + jitter.1);
            let n = noise(seed, fx, fy, 6.0) * 0.7 + noise(seed ^ 1, fx, fy, 2.0) * 0.3;
            let mut rgb = [0u8; 3];
            for c in 0..3 {
                rgb[c] = (base[c] + span[c] * (2.0 * n - 1.0)).clamp(0.0, 255.0) as u8;
            }
            for limb in &body {
                let (ax, ay) = limb.from;
                let (bx, by) = limb.to;
                let (vx, vy) = (bx - ax, by - ay);
                let length2 = vx * vx + vy * vy;
                let along = if length2 > 0.0 {
                    (((fx - ax) * vx + (fy - ay) * vy) / length2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + along * vx - fx, ay + along * vy - fy);
                if px * px + py * py <= limb.radius * limb.radius {
                    mask[y * width + x] = true;
                    let stripe = ((along * length2.sqrt()) / look.cloth.2).floor() as i64 % 2 == 0;
                    let shade = 0.85 + 0.15 * noise(seed ^ 7, (along * 40.0).floor(), 0.0, 1.0);
                    let colour = if limb.skin {
                        look.skin
                    } else if stripe {
                        look.cloth.0
                    } else {
                        look.cloth.1
                    };
                    rgb = colour.map(|v| (v as f32 * shade) as u8);
                }
            }
            picture.set(x as i64, y as i64, rgb);
        }
    }
    if let Some(kind) = artifact {
        draw_artifact(&mut picture, kind, t);
    }
    // Sensor noise.
    for p in picture.pixels.iter_mut() {
        *p = (*p as i16 + rng.gen_range(-3..=3)).clamp(0, 255) as u8;
    }
    (picture, mask)
}
