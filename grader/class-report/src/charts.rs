//! Score distributions: counted here, drawn as SVG histograms by
//! `plotters`.
//!
//! The counting is separate from the drawing so it can be checked: a
//! [`Histogram`] is plain numbers, and [`svg`] only draws it. The SVG is
//! meant to be embedded inline in the report page, so it needs no file and
//! no network to show.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{ClassSummary, Error};

/// How many bars a histogram has at most.
pub const DEFAULT_BINS: usize = 10;

/// One bar: how many students scored from `low` to `high` points, both
/// included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    /// The lowest score counted in this bar.
    pub low: u32,
    /// The highest score counted in this bar.
    pub high: u32,
    /// How many students scored in that range.
    pub count: usize,
}

/// The distribution of one score over the class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// What is counted: a lab's name, or `total`.
    pub title: String,
    /// The points of the reference solution: the right end of the axis.
    pub max_points: u32,
    /// The bars, from 0 points to `max_points`, of equal width.
    pub bins: Vec<Bin>,
    /// How many scores were counted.
    pub counted: usize,
}

/// Counts `scores` into at most `bins` bars of equal width covering 0 to
/// `max_points`: one bar per score when there are few (up to `bins + 1`
/// bars), otherwise bars such
/// as 0-9, 10-19, ..., 90-100, the last one holding the maximum. A score
/// above the maximum (which a correct gradebook does not have) is counted
/// in the last bar, so no student goes missing.
pub fn histogram(
    title: &str,
    scores: impl IntoIterator<Item = u32>,
    max_points: u32,
    bins: usize,
) -> Histogram {
    let max = u64::from(max_points);
    let bins = bins.max(1) as u64;
    let (width, count) = if max <= bins {
        (1, max + 1)
    } else {
        let width = max.div_ceil(bins);
        (width, max.div_ceil(width))
    };
    let count = count as usize;
    let mut out: Vec<Bin> = (0..count)
        .map(|i| {
            let low = i as u64 * width;
            let high = if i + 1 == count { max } else { low + width - 1 };
            Bin {
                low: low as u32,
                high: high as u32,
                count: 0,
            }
        })
        .collect();
    let mut counted = 0;
    for score in scores {
        let i = ((u64::from(score) / width) as usize).min(count - 1);
        out[i].count += 1;
        counted += 1;
    }
    Histogram {
        title: title.to_owned(),
        max_points,
        bins: out,
        counted,
    }
}

/// The histograms of a class: one per lab, over the students graded on
/// it, then one of the totals, over the students graded at all.
pub fn class_histograms(summary: &ClassSummary, bins: usize) -> Vec<Histogram> {
    let mut out: Vec<Histogram> = summary
        .labs
        .iter()
        .enumerate()
        .map(|(i, lab)| {
            let scores = summary
                .students
                .iter()
                .filter_map(|row| row.points.get(i).copied().flatten());
            histogram(&lab.name, scores, lab.max_points, bins)
        })
        .collect();
    let max: u32 = summary.labs.iter().map(|lab| lab.max_points).sum();
    let totals = summary
        .students
        .iter()
        .filter(|row| row.is_graded())
        .map(|row| row.total);
    out.push(histogram("total", totals, max, bins));
    out
}

/// Draws a histogram as a standalone `<svg>` element, to embed inline.
/// The x axis is the score, ending at the reference maximum, which the axis
/// title states; the y axis is the number of students.
pub fn svg(histogram: &Histogram) -> Result<String, Error> {
    let chart_error = |e: &dyn std::fmt::Display| Error::Chart(format!("{}: {e}", histogram.title));
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (460, 250)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        let tallest = histogram.bins.iter().map(|b| b.count).max().unwrap_or(0);
        let y_top = (tallest as u32 + 1).max(2);
        let caption = format!("{} ({} students)", histogram.title, histogram.counted);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(42)
            .y_label_area_size(40)
            .build_cartesian_2d(
                (0..histogram.bins.len() as u32).into_segmented(),
                0u32..y_top,
            )
            .map_err(|e| chart_error(&e))?;
        let bins = &histogram.bins;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => bins
                .get(*i as usize)
                .map(|b| {
                    if b.low == b.high {
                        b.low.to_string()
                    } else {
                        format!("{}-{}", b.low, b.high)
                    }
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bins.len())
            .x_label_formatter(&label)
            .y_labels(y_top.min(10) as usize)
            .y_label_formatter(&|v| v.to_string())
            .x_desc(format!(
                "points (reference maximum: {})",
                histogram.max_points
            ))
            .y_desc("students")
            .label_style(("sans-serif", 11))
            .axis_desc_style(("sans-serif", 12))
            .draw()
            .map_err(|e| chart_error(&e))?;
        chart
            .draw_series(
                plotters::series::Histogram::vertical(&chart)
                    .style(RGBColor(52, 101, 164).filled())
                    .margin(3)
                    .data(
                        bins.iter()
                            .enumerate()
                            .map(|(i, b)| (i as u32, b.count as u32)),
                    ),
            )
            .map_err(|e| chart_error(&e))?;
        root.present().map_err(|e| chart_error(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_zero_to_the_maximum() {
        let h = histogram("lab", [0, 5, 9, 10, 99, 100], 100, 10);
        assert_eq!(h.bins.len(), 10);
        assert_eq!((h.bins[0].low, h.bins[0].high), (0, 9));
        assert_eq!((h.bins[9].low, h.bins[9].high), (90, 100));
        assert_eq!(h.bins[0].count, 3);
        assert_eq!(h.bins[1].count, 1);
        assert_eq!(h.bins[9].count, 2);
        assert_eq!(h.counted, 6);
    }

    #[test]
    fn a_small_maximum_gets_one_bar_per_score() {
        let h = histogram("lab", [0, 1, 1, 3, 7], 3, 10);
        let counts: Vec<usize> = h.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 2, 0, 2]);
    }
}
