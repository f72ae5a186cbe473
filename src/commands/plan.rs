//! `xp plan`: the sample the plan needs: units per variant for a two-sided test at the plan's
//! alpha and power, the run time at its expected daily units, and the progress the results
//! show.

use serde::Serialize;

use crate::commands::render::out;
use crate::error::Error;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::record::Record;
use crate::record::edit::format_number;
use crate::record::evidence::{self, Arm, Metric, PlanGap, PlannedSample, Scale};
use crate::text;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// The metric's standard deviation, for a continuous metric (default: the control's in the
    /// results)
    #[arg(long, value_name = "NUMBER", value_parser = positive)]
    pub sd: Option<f64>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// A standard deviation: a finite number above 0.
fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{text}` is not a number above 0")),
    }
}

/// The plan's sample and how far the results are toward it.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    plan: &'a PlannedSample,
    /// Units the results count, per variant and in all; null without results.
    progress: Option<Progress>,
}

#[derive(Serialize)]
struct Progress {
    as_of: String,
    units: Vec<Arm>,
    total: u64,
    /// `total` as a fraction of the planned total.
    share: f64,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let found = ops::read::get(ws, &args.reference)?;
    let record = &found.record;
    let plan = evidence::planned_sample(record, args.sd).map_err(|gap| match gap {
        PlanGap::NeedsSd => Error::failed(
            "a continuous metric's sample size needs its standard deviation",
            "give it with --sd, or record results with mean and sd",
        ),
        PlanGap::NoEffect => Error::failed(
            "the plan has no effect to find: baseline and target are equal",
            "set minimum_detectable_effect, or a target apart from the baseline",
        ),
        PlanGap::BeyondCounting => Error::failed(
            "the effect to find is too small for any sample at this alpha and power",
            "set a larger minimum_detectable_effect, or a looser alpha or power",
        ),
        PlanGap::NotRates => Error::failed(
            format!(
                "baseline {} and target {} are not rates (0 to 1, or 0 to 100 as percentages)",
                format_number(record.baseline),
                format_number(record.target)
            ),
            "for a continuous metric give its standard deviation with --sd",
        ),
    })?;
    let progress = progress(record, &plan);
    out(match args.format {
        Format::Json => ui.json(&Answer {
            plan: &plan,
            progress,
        }),
        Format::Text => ui.data(&text(record, &plan, progress.as_ref())),
    })
}

fn progress(record: &Record, plan: &PlannedSample) -> Option<Progress> {
    let results = record.results.as_ref()?;
    let units: Vec<Arm> = results
        .variants
        .iter()
        .map(|v| Arm {
            name: v.name.clone(),
            units: v.units,
        })
        .collect();
    let total = units
        .iter()
        .fold(0u64, |sum, a| sum.saturating_add(a.units));
    Some(Progress {
        as_of: results.as_of.clone(),
        units,
        total,
        share: total as f64 / plan.total.max(1) as f64,
    })
}

fn text(record: &Record, plan: &PlannedSample, progress: Option<&Progress>) -> String {
    let value = |x: f64| match plan.scale {
        Scale::Percent => format!("{}%", format_number((x * 1e6).round() / 1e4)),
        Scale::Fraction => format_number((x * 1e6).round() / 1e6),
        Scale::Units => format_number(x),
    };
    let mut out = String::new();
    let mut line = |name: &str, said: String| {
        out.push_str(&format!("  {name:<14} {}\n", text::terminal(&said)));
    };
    let what = match plan.metric {
        Metric::Conversion => "rate",
        Metric::Mean => "mean",
    };
    line(
        "metric",
        format!(
            "{} {what} {} -> {}{}",
            record.primary_metric,
            value(plan.control),
            value(plan.treatment),
            plan.sd
                .map_or_else(String::new, |sd| format!(", sd {}", format_number(sd)))
        ),
    );
    let each = if plan.alpha_each < plan.alpha {
        format!(
            " ({} for each of {} treatments)",
            format_number(plan.alpha_each),
            plan.variants.len() - 1
        )
    } else {
        String::new()
    };
    line(
        "test",
        format!(
            "two-sided, alpha {}{each}, power {}",
            format_number(plan.alpha),
            format_number(plan.power)
        ),
    );
    let arms: Vec<String> = plan
        .variants
        .iter()
        .map(|a| format!("{} {}", a.name, a.units))
        .collect();
    line(
        "sample",
        format!("{} units in all: {}", plan.total, arms.join(", ")),
    );
    line(
        "run time",
        match (plan.days, record.expected_daily_units) {
            (Some(days), Some(daily)) => format!(
                "{days} day{} at {} units a day",
                if days == 1 { "" } else { "s" },
                format_number(daily)
            ),
            _ => "- (set expected_daily_units for it)".to_owned(),
        },
    );
    if let Some(p) = progress {
        line(
            "progress",
            format!(
                "{} of {} units ({:.1}%) as of {}",
                p.total,
                plan.total,
                p.share * 100.0,
                p.as_of
            ),
        );
    }
    out
}
