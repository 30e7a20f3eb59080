//! Jarosz box filter (two passes of rows-then-columns box blurs) and the
//! 64x64 centre-sampling decimation, in the reference's float order.
//!
//! The reference runs each 1-D box filter line by line. Here many lines run
//! in lockstep (one running sum per line), which lets the compiler use SIMD
//! while every output value still sees exactly the same float operations in
//! the same order: add the entering sample, subtract the leaving one, divide
//! by the current window length.

/// Box-window length along a dimension of `old_dim` samples when shrinking
/// to 64: `(old_dim + 127) / 128` (half the block size, since two passes run).
pub(crate) fn window_size(old_dim: usize) -> usize {
    old_dim.div_ceil(2 * 64)
}

/// Phase lengths of the reference's 1-D box filter.
struct Phases {
    p1: usize,
    p2: usize,
    p3: usize,
    p4: usize,
}

fn phases(len: usize, window: usize) -> Phases {
    let half = (window + 2) / 2;
    Phases {
        p1: half - 1,
        p2: window + 1 - half,
        p3: len.saturating_sub(window),
        p4: half - 1,
    }
}

/// 1-D box filters of `lanes` independent lines at once.
///
/// `input` and `output` are `len x lanes` row-major: sample `pos` of line
/// `lane` is at `pos * lanes + lane`. `sums` must hold `lanes` floats.
fn box_lockstep(input: &[f32], output: &mut [f32], len: usize, lanes: usize, window: usize, sums: &mut [f32]) {
    let Phases { p1, p2, p3, p4 } = phases(len, window);
    let sums = &mut sums[..lanes];
    sums.fill(0.0);
    let at = |pos: usize| pos * lanes..(pos + 1) * lanes;
    let mut cur = 0u32;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);

    // Phase 1: accumulate, no writes.
    for _ in 0..p1 {
        for (s, &x) in sums.iter_mut().zip(&input[at(ri)]) {
            *s += x;
        }
        cur += 1;
        ri += 1;
    }
    // Phase 2: growing window, writes.
    for _ in 0..p2 {
        cur += 1;
        let d = cur as f32;
        for ((s, &x), o) in sums.iter_mut().zip(&input[at(ri)]).zip(&mut output[at(oi)]) {
            *s += x;
            *o = *s / d;
        }
        ri += 1;
        oi += 1;
    }
    // Phase 3: full window, add then subtract.
    let d = cur as f32;
    for _ in 0..p3 {
        let (add, sub) = (&input[at(ri)], &input[at(li)]);
        for (((s, &a), &b), o) in sums.iter_mut().zip(add).zip(sub).zip(&mut output[at(oi)]) {
            *s += a;
            *s -= b;
            *o = *s / d;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    // Phase 4: shrinking window.
    for _ in 0..p4 {
        cur -= 1;
        let d = cur as f32;
        for ((s, &b), o) in sums.iter_mut().zip(&input[at(li)]).zip(&mut output[at(oi)]) {
            *s -= b;
            *o = *s / d;
        }
        li += 1;
        oi += 1;
    }
}

/// Rows handled together by the row pass (transposed into a small block).
const ROW_BLOCK: usize = 16;

/// Scratch for the filter: a transposed row block, its output and the sums.
pub(crate) struct FilterScratch {
    block_in: Vec<f32>,
    block_out: Vec<f32>,
    sums: Vec<f32>,
}

impl FilterScratch {
    pub(crate) fn new(max_dim: usize) -> Self {
        Self {
            block_in: vec![0.0; max_dim * ROW_BLOCK],
            block_out: vec![0.0; max_dim * ROW_BLOCK],
            sums: vec![0.0; max_dim.max(ROW_BLOCK)],
        }
    }
}

/// Box filter along each row of `input` (`rows x cols`) into `output`.
fn box_rows(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize, s: &mut FilterScratch) {
    let mut r0 = 0;
    while r0 < rows {
        let nb = ROW_BLOCK.min(rows - r0);
        let bin = &mut s.block_in[..cols * nb];
        for l in 0..nb {
            let row = &input[(r0 + l) * cols..(r0 + l + 1) * cols];
            for (c, &v) in row.iter().enumerate() {
                bin[c * nb + l] = v;
            }
        }
        let bout = &mut s.block_out[..cols * nb];
        box_lockstep(bin, bout, cols, nb, window, &mut s.sums);
        for l in 0..nb {
            let row = &mut output[(r0 + l) * cols..(r0 + l + 1) * cols];
            for (c, o) in row.iter_mut().enumerate() {
                *o = bout[c * nb + l];
            }
        }
        r0 += nb;
    }
}

/// The reference's `jaroszFilterFloat` with 2 passes: rows (buf1 -> buf2)
/// then columns (buf2 -> buf1), twice. The result is in `buf1`.
pub(crate) fn jarosz_filter(buf1: &mut [f32], buf2: &mut [f32], rows: usize, cols: usize, s: &mut FilterScratch) {
    let win_rows = window_size(cols); // along rows: a row has `cols` samples
    let win_cols = window_size(rows);
    for _ in 0..2 {
        box_rows(buf1, buf2, rows, cols, win_rows, s);
        box_lockstep(buf2, buf1, rows, cols, win_cols, &mut s.sums);
    }
}

/// The reference's `decimateFloat` to 64x64: sample at the centres,
/// `(int)(((i + 0.5) * dim) / 64)` computed in double.
pub(crate) fn decimate_64(input: &[f32], rows: usize, cols: usize, out: &mut [[f32; 64]; 64]) {
    for (oi, orow) in out.iter_mut().enumerate() {
        let ii = (((oi as f64 + 0.5) * rows as f64) / 64.0) as usize;
        for (oj, o) in orow.iter_mut().enumerate() {
            let ij = (((oj as f64 + 0.5) * cols as f64) / 64.0) as usize;
            *o = input[ii * cols + ij];
        }
    }
}

#[cfg(test)]
pub(crate) mod reference {
    //! Line-by-line port of the reference filter, used to check the lockstep one.

    pub(crate) fn box1d(invec: &[f32], outvec: &mut [f32], base: usize, len: usize, stride: usize, window: usize) {
        let half = (window + 2) / 2;
        let (p1, p2, p3, p4) = (half - 1, window - half + 1, len - window, half - 1);
        let (mut li, mut ri, mut oi) = (base, base, base);
        let mut sum = 0.0f32;
        let mut cur = 0i32;
        for _ in 0..p1 {
            sum += invec[ri];
            cur += 1;
            ri += stride;
        }
        for _ in 0..p2 {
            sum += invec[ri];
            cur += 1;
            outvec[oi] = sum / cur as f32;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p3 {
            sum += invec[ri];
            sum -= invec[li];
            outvec[oi] = sum / cur as f32;
            li += stride;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p4 {
            sum -= invec[li];
            cur -= 1;
            outvec[oi] = sum / cur as f32;
            li += stride;
            oi += stride;
        }
    }

    pub(crate) fn jarosz(buf1: &mut [f32], buf2: &mut [f32], rows: usize, cols: usize) {
        let wr = super::window_size(cols);
        let wc = super::window_size(rows);
        for _ in 0..2 {
            for i in 0..rows {
                box1d(buf1, buf2, i * cols, cols, 1, wr);
            }
            for j in 0..cols {
                box1d(buf2, buf1, j, rows, cols, wc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) % 25600) as f32 / 100.0
            })
            .collect()
    }

    #[test]
    fn lockstep_filter_is_bit_identical_to_line_by_line_reference() {
        for &(rows, cols) in &[
            (5, 5),
            (7, 300),
            (64, 64),
            (100, 160),
            (129, 257),
            (512, 512),
            (511, 37),
        ] {
            let a = noise(rows * cols, (rows * 1000 + cols) as u64);
            let (mut r1, mut r2) = (a.clone(), vec![0.0; rows * cols]);
            reference::jarosz(&mut r1, &mut r2, rows, cols);
            let (mut f1, mut f2) = (a.clone(), vec![0.0; rows * cols]);
            let mut s = FilterScratch::new(512);
            jarosz_filter(&mut f1, &mut f2, rows, cols, &mut s);
            let same = r1.iter().zip(&f1).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{rows}x{cols} differs");
        }
    }

    #[test]
    fn window_sizes_match_reference_formula() {
        assert_eq!(window_size(5), 1);
        assert_eq!(window_size(128), 1);
        assert_eq!(window_size(129), 2);
        assert_eq!(window_size(512), 4);
    }
}
