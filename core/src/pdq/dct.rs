//! The 64x64 -> 16x16 DCT, quality metric, Torben median, hash bits and the
//! eight dihedral coefficient transforms, in the reference's float order.

use std::sync::LazyLock;

use super::hash::PdqHash;

/// 16x64 DCT-II rows 1..=16 (DC left out), row-major, computed as the
/// reference does: a float scale `sqrt(2/64)` times a double cosine, rounded
/// to float. (`std::f64::cos` is the platform libm `cos`, as in C++.)
static DCT_MATRIX: LazyLock<[[f32; 64]; 16]> = LazyLock::new(|| {
    let scale = (2.0f64 / 64.0).sqrt() as f32;
    let mut m = [[0f32; 64]; 16];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let angle = (std::f64::consts::PI / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
            *v = (f64::from(scale) * angle.cos()) as f32;
        }
    }
    m
});

/// The same matrix transposed (64x16), for the second product.
static DCT_MATRIX_T: LazyLock<[[f32; 16]; 64]> = LazyLock::new(|| {
    let d = &*DCT_MATRIX;
    let mut t = [[0f32; 16]; 64];
    for (k, row) in t.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = d[j][k];
        }
    }
    t
});

/// `B = D A Dᵀ` with `T = D A` first. Each output is a float sum over k =
/// 0..64 in increasing order starting from 0.0, like the reference's
/// unrolled loops; the loops here are only reordered across independent
/// outputs.
pub(crate) fn dct64_to_16(a: &[[f32; 64]; 64], t: &mut [[f32; 64]; 16], b: &mut [[f32; 16]; 16]) {
    let d = &*DCT_MATRIX;
    for (trow, drow) in t.iter_mut().zip(d.iter()) {
        trow.fill(0.0);
        for (&dk, arow) in drow.iter().zip(a.iter()) {
            for (tj, &akj) in trow.iter_mut().zip(arow.iter()) {
                *tj += dk * akj;
            }
        }
    }
    let dt = &*DCT_MATRIX_T;
    for (brow, trow) in b.iter_mut().zip(t.iter()) {
        brow.fill(0.0);
        for (&tk, dtrow) in trow.iter().zip(dt.iter()) {
            for (bj, &djk) in brow.iter_mut().zip(dtrow.iter()) {
                *bj += tk * djk;
            }
        }
    }
}

/// The reference's image-domain quality: sum of quantised absolute
/// gradients of the 64x64 buffer, divided by 90, capped at 100.
pub(crate) fn quality(buf: &[[f32; 64]; 64]) -> u8 {
    #[inline(always)]
    fn step(u: f32, v: f32) -> i32 {
        // int d = ((u - v) * 100) / 255;  (float math, truncation to int)
        (((u - v) * 100.0) / 255.0) as i32
    }
    let mut sum: i64 = 0;
    for (upper, lower) in buf.iter().zip(buf.iter().skip(1)) {
        for (&u, &v) in upper.iter().zip(lower.iter()) {
            sum += i64::from(step(u, v).abs());
        }
    }
    for row in buf.iter() {
        for pair in row.windows(2) {
            sum += i64::from(step(pair[0], pair[1]).abs());
        }
    }
    (sum / 90).min(100) as u8
}

/// Torben Mogensen's median (N. Devillard's implementation), as in the
/// reference: for 256 values it returns the 128th smallest.
pub(crate) fn torben_median(m: &[f32]) -> f32 {
    let n = m.len();
    if n == 0 {
        return 0.0;
    }
    let half = n.div_ceil(2);
    let mut min = m[0];
    let mut max = m[0];
    for &x in &m[1..] {
        if x < min {
            min = x;
        }
        if x > max {
            max = x;
        }
    }
    loop {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0usize, 0usize, 0usize);
        let mut maxltguess = min;
        let mut mingtguess = max;
        for &x in m {
            if x < guess {
                less += 1;
                if x > maxltguess {
                    maxltguess = x;
                }
            } else if x > guess {
                greater += 1;
                if x < mingtguess {
                    mingtguess = x;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return if less >= half {
                maxltguess
            } else if less + equal >= half {
                guess
            } else {
                mingtguess
            };
        } else if less > greater {
            max = maxltguess;
        } else {
            min = mingtguess;
        }
    }
}

/// Bit `i * 16 + j` is set iff coefficient `(i, j)` is above the median.
pub(crate) fn bits_from_dct(b: &[[f32; 16]; 16]) -> PdqHash {
    let flat = b.as_flattened();
    let median = torben_median(flat);
    let mut h = PdqHash::ZERO;
    for (k, &v) in flat.iter().enumerate() {
        if v > median {
            h.set_bit(k);
        }
    }
    h
}

/// The eight dihedral transforms of the 16x16 DCT block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dihedral {
    Rotate90,
    Rotate180,
    Rotate270,
    FlipX,
    FlipY,
    FlipPlus1,
    FlipMinus1,
}

/// The reference's `dct16OriginalTo*`: sign flips and transposition that
/// stand in for the DCT of the transformed image.
pub(crate) fn transform(a: &[[f32; 16]; 16], which: Dihedral) -> [[f32; 16]; 16] {
    let mut b = [[0f32; 16]; 16];
    for i in 0..16 {
        for j in 0..16 {
            let v = a[i][j];
            let odd_i = i & 1 == 1;
            let odd_j = j & 1 == 1;
            let odd_ij = (i + j) & 1 == 1;
            match which {
                Dihedral::Rotate90 => b[j][i] = if odd_j { v } else { -v },
                Dihedral::Rotate180 => b[i][j] = if odd_ij { -v } else { v },
                Dihedral::Rotate270 => b[j][i] = if odd_i { v } else { -v },
                Dihedral::FlipX => b[i][j] = if odd_i { v } else { -v },
                Dihedral::FlipY => b[i][j] = if odd_j { v } else { -v },
                Dihedral::FlipPlus1 => b[j][i] = v,
                Dihedral::FlipMinus1 => b[j][i] = if odd_ij { -v } else { v },
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torben_returns_lower_median_of_even_count() {
        let v: Vec<f32> = (0..256).rev().map(|x| x as f32).collect();
        assert_eq!(torben_median(&v), 127.0);
        assert_eq!(torben_median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(torben_median(&[5.0; 10]), 5.0);
    }

    #[test]
    fn dct_matches_naive_sequential_sums() {
        let mut a = [[0f32; 64]; 64];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = ((i * 37 + j * 11) % 97) as f32 * 1.7;
            }
        }
        let mut t = [[0f32; 64]; 16];
        let mut b = [[0f32; 16]; 16];
        dct64_to_16(&a, &mut t, &mut b);
        let d = &*DCT_MATRIX;
        for i in 0..16 {
            for j in 0..16 {
                let mut tt = [0f32; 64];
                for (c, tc) in tt.iter_mut().enumerate() {
                    let mut s = 0f32;
                    for k in 0..64 {
                        s += d[i][k] * a[k][c];
                    }
                    *tc = s;
                }
                let mut s = 0f32;
                for k in 0..64 {
                    s += tt[k] * d[j][k];
                }
                assert_eq!(s.to_bits(), b[i][j].to_bits());
            }
        }
    }
}
