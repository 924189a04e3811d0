//! The staffing view: per facility, how many of a registry's workers the
//! gateway reaches, and how many confirmed or corrected their record through
//! the HR update flow, and when (each worker counted by their latest
//! finished run).

use std::collections::{BTreeMap, HashMap};

use crate::config::HrUpdateConfig;
use crate::core::time::{rfc3339, Millis};
use crate::store::{HrRunRow, StaffRow, Store, StoreError};

/// Facility key of workers the registry places nowhere.
pub const NO_FACILITY: &str = "(none)";

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FacilityStaffing {
    pub facility_id: Option<String>,
    pub facility: String,
    pub district: Option<String>,
    /// Workers of the registry linked to a contact here.
    pub workers: usize,
    /// Whose latest HR update kept every answer in a confirmed category.
    pub confirmed: usize,
    /// Whose latest HR update changed something.
    pub corrected: usize,
    pub last_confirmed_on: Option<String>,
    pub last_corrected_on: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Staffing {
    pub registry: String,
    /// The HR update flow counted, if one is configured.
    pub hr_flow: Option<String>,
    pub facilities: Vec<FacilityStaffing>,
    pub workers: usize,
    pub confirmed: usize,
    pub corrected: usize,
}

pub async fn staffing(
    store: &Store,
    registry: &str,
    hr: Option<&HrUpdateConfig>,
) -> Result<Staffing, StoreError> {
    let staff = store.registry_staff(registry).await?;
    let runs = match hr {
        Some(hr) => store.registry_hr_runs(registry, &hr.flow).await?,
        None => Vec::new(),
    };
    let confirmed: Vec<String> = hr.map(|h| h.confirmed_categories.clone()).unwrap_or_default();
    Ok(count(
        registry,
        hr.map(|h| h.flow.clone()),
        &staff,
        &runs,
        &confirmed,
    ))
}

/// Pure counting, for tests: each contact's latest run decides.
pub fn count(
    registry: &str,
    hr_flow: Option<String>,
    staff: &[StaffRow],
    runs: &[HrRunRow],
    confirmed_categories: &[String],
) -> Staffing {
    let mut latest: HashMap<i64, &HrRunRow> = HashMap::new();
    for run in runs {
        let slot = latest.entry(run.contact_id).or_insert(run);
        if run.exited_on >= slot.exited_on {
            *slot = run;
        }
    }
    let mut by_facility: BTreeMap<String, FacilityStaffing> = BTreeMap::new();
    let later = |a: &mut Option<Millis>, b: Millis| *a = Some(a.map_or(b, |a| a.max(b)));
    let mut times: HashMap<String, (Option<Millis>, Option<Millis>)> = HashMap::new();
    let mut out = Staffing {
        registry: registry.to_string(),
        hr_flow,
        ..Staffing::default()
    };
    for worker in staff {
        let name = worker.facility.clone().unwrap_or_else(|| NO_FACILITY.to_string());
        let key = worker.facility_id.clone().unwrap_or_else(|| name.clone());
        let f = by_facility
            .entry(key.clone())
            .or_insert_with(|| FacilityStaffing {
                facility_id: worker.facility_id.clone(),
                facility: name,
                district: worker.district.clone(),
                ..FacilityStaffing::default()
            });
        f.workers += 1;
        out.workers += 1;
        let Some(run) = latest.get(&worker.contact_id) else {
            continue;
        };
        let t = times.entry(key).or_default();
        if run.categories.values().all(|c| confirmed_categories.contains(c)) {
            f.confirmed += 1;
            out.confirmed += 1;
            later(&mut t.0, run.exited_on);
        } else {
            f.corrected += 1;
            out.corrected += 1;
            later(&mut t.1, run.exited_on);
        }
    }
    for (key, mut f) in by_facility {
        if let Some((c, k)) = times.get(&key) {
            f.last_confirmed_on = c.map(rfc3339);
            f.last_corrected_on = k.map(rfc3339);
        }
        out.facilities.push(f);
    }
    // By name, workers placed nowhere last.
    out.facilities
        .sort_by(|a, b| (a.facility_id.is_none(), &a.facility).cmp(&(b.facility_id.is_none(), &b.facility)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(id: &str, contact: i64, facility: Option<&str>) -> StaffRow {
        StaffRow {
            practitioner_id: id.into(),
            contact_id: contact,
            facility_id: facility.map(|f| format!("id-{f}")),
            facility: facility.map(str::to_string),
            district: None,
        }
    }

    fn run(contact: i64, at: Millis, facility: &str) -> HrRunRow {
        HrRunRow {
            contact_id: contact,
            exited_on: at,
            categories: [("facility".to_string(), facility.to_string())].into(),
        }
    }

    #[test]
    fn latest_run_decides_and_facilities_are_counted_apart() {
        let staff = [
            worker("P1", 1, Some("A")),
            worker("P2", 2, Some("A")),
            worker("P3", 3, None),
        ];
        let runs = [
            run(1, 10, "Changed"),
            run(1, 20, "Confirmed"),
            run(2, 5, "Changed"),
        ];
        let s = count("r", None, &staff, &runs, &["Confirmed".into()]);
        assert_eq!((s.workers, s.confirmed, s.corrected), (3, 1, 1));
        let a = &s.facilities[0];
        assert_eq!(
            (a.facility.as_str(), a.workers, a.confirmed, a.corrected),
            ("A", 2, 1, 1)
        );
        assert_eq!(a.last_confirmed_on.as_deref(), Some("1970-01-01T00:00:00.020Z"));
        assert_eq!(s.facilities[1].facility, NO_FACILITY);
    }
}
