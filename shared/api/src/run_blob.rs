//! A computed run result in its two forms: the **shared JSON** every identical run answers
//! with (the RunResult without its per-run fields `run_id`, `cached` and `cost`), and the
//! **packed** form that is stored as the content-addressed blob of that result.
//!
//! A run's answer is mostly chart points (`["2010-01-04",0.0123456789012345]`, about 30
//! bytes each as JSON); packed, a point is a 4-byte day and an 8-byte float. Writing a
//! fresh result's blob was the largest cost of an uncached API run on the embedded store
//! (each new page-cache page is expensive on this project's virtual machines), and S3
//! stores and serves a third of the bytes. Everything else of the result (fields, tables,
//! scalars, series names) is kept as the JSON text it is answered with, so unpacking
//! writes the shared JSON back byte for byte (tested).
//!
//! Readers go through [`to_json`], which passes JSON blobs through unchanged: run outputs
//! stored before the packed form, and the outputs of runs stored by other paths, are JSON.

use auster_types::{date::IsoDate, DataSourceRef, RunResult, RunStatus, SeriesOutput, StepTiming};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The first bytes of a packed result. A NUL byte never starts a JSON text, so a stored
/// blob is told apart from a JSON one by its first byte.
const MAGIC: &[u8] = b"\0auster-run/1\n";

/// A result encoded for answering (JSON) and for storing (packed).
pub struct Encoded {
    /// The shared JSON: answered, after the per-run fields, by every identical run.
    pub json: Vec<u8>,
    /// The packed form, stored once as the result's blob.
    pub packed: Vec<u8>,
}

/// The fields of a RunResult that every identical run shares (all but `run_id`, `cached`
/// and `cost`), borrowed for serialisation; `outputs` is appended after them by its own
/// fast writer (`RunOutputs::write_json`). A test proves that prefixing the per-run fields
/// gives back exactly the RunResult, so a field added to RunResult and forgotten here
/// fails it.
#[derive(Serialize)]
struct SharedFields<'a> {
    model_slug: &'a str,
    version: u32,
    status: RunStatus,
    inputs: &'a Map<String, Value>,
    steps: &'a [StepTiming],
    data_sources: &'a [DataSourceRef],
    runtime_ms: f64,
    engine_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: &'a Option<String>,
}

/// What a packed series keeps as JSON besides its points.
#[derive(Serialize, Deserialize)]
struct SeriesHead {
    id: String,
    label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    downsampled_from: Option<usize>,
}

/// Encodes a result in both forms (see the module docs).
pub fn encode(r: &RunResult) -> Result<Encoded, serde_json::Error> {
    // `{…}` without its closing brace: both forms continue it with `,"outputs":…}`. The
    // object always has fields (model_slug at least), so the comma is well placed.
    let mut fields = serde_json::to_vec(&SharedFields {
        model_slug: &r.model_slug,
        version: r.version,
        status: r.status,
        inputs: &r.inputs,
        steps: &r.steps,
        data_sources: &r.data_sources,
        runtime_ms: r.runtime_ms,
        engine_version: &r.engine_version,
        error: &r.error,
    })?;
    fields.pop();

    let mut json = Vec::with_capacity(fields.len());
    json.extend_from_slice(&fields);
    json.extend_from_slice(b",\"outputs\":");
    r.outputs.write_json(&mut json)?;
    json.push(b'}');

    let points: usize = r.outputs.series.iter().map(|s| s.points.len()).sum();
    let mut packed = Vec::with_capacity(MAGIC.len() + fields.len() + points * 12 + 1024);
    packed.extend_from_slice(MAGIC);
    put_section(&mut packed, &fields);
    put_section(&mut packed, &serde_json::to_vec(&r.outputs.tables)?);
    put_section(&mut packed, &serde_json::to_vec(&r.outputs.scalars)?);
    put_u32(&mut packed, r.outputs.series.len());
    for s in &r.outputs.series {
        let head = SeriesHead {
            id: s.id.clone(),
            label: s.label.clone(),
            color: s.color.clone(),
            downsampled_from: s.downsampled_from,
        };
        put_section(&mut packed, &serde_json::to_vec(&head)?);
        put_u32(&mut packed, s.points.len());
        for (day, _) in &s.points {
            packed.extend_from_slice(&day.0.to_le_bytes());
        }
        for (_, v) in &s.points {
            // Every non-finite value and every missing one is written `null`: one NaN
            // stands for all of them.
            let v = v.filter(|v| v.is_finite()).unwrap_or(f64::NAN);
            packed.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }
    Ok(Encoded { json, packed })
}

/// The shared JSON of a stored result: unpacked when packed, as is when it is JSON.
/// A damaged packed blob is an error naming what is wrong, never a panic.
pub fn to_json(stored: Vec<u8>) -> Result<Vec<u8>, String> {
    let Some(mut rest) = stored.strip_prefix(MAGIC) else {
        return Ok(stored);
    };
    let fields = take_section(&mut rest, "fields")?;
    let tables = take_section(&mut rest, "tables")?;
    let scalars = take_section(&mut rest, "scalars")?;
    let count = take_u32(&mut rest, "series count")?;
    let mut json = Vec::with_capacity(stored.len() * 3);
    json.extend_from_slice(fields);
    json.extend_from_slice(b",\"outputs\":{\"series\":[");
    for i in 0..count {
        let head: SeriesHead = serde_json::from_slice(take_section(&mut rest, "series head")?)
            .map_err(|e| format!("packed run result: series {i}: {e}"))?;
        let n = take_u32(&mut rest, "point count")?;
        let days = take(&mut rest, n.saturating_mul(4), "dates")?;
        let values = take(&mut rest, n.saturating_mul(8), "values")?;
        let points = days
            .chunks_exact(4)
            .zip(values.chunks_exact(8))
            .map(|(d, v)| {
                let day = i32::from_le_bytes([d[0], d[1], d[2], d[3]]);
                let v = f64::from_bits(u64::from_le_bytes([
                    v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                ]));
                (IsoDate(day), v.is_finite().then_some(v))
            })
            .collect();
        if i > 0 {
            json.push(b',');
        }
        SeriesOutput {
            id: head.id,
            label: head.label,
            color: head.color,
            points,
            downsampled_from: head.downsampled_from,
        }
        .write_json(&mut json)
        .map_err(|e| format!("packed run result: series {i}: {e}"))?;
    }
    if !rest.is_empty() {
        return Err(format!(
            "packed run result: {} unexpected bytes after the last series",
            rest.len()
        ));
    }
    json.extend_from_slice(b"],\"tables\":");
    json.extend_from_slice(tables);
    json.extend_from_slice(b",\"scalars\":");
    json.extend_from_slice(scalars);
    json.extend_from_slice(b"}}");
    Ok(json)
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Sections and point counts of one result are far below 4 GiB (the engine's limits
    // cap a result at tens of millions of points); saturate rather than wrap if not.
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_section(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn take<'a>(rest: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], String> {
    if rest.len() < n {
        return Err(format!(
            "packed run result is truncated: {what} needs {n} bytes, {} are left",
            rest.len()
        ));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn take_u32(rest: &mut &[u8], what: &str) -> Result<usize, String> {
    let b = take(rest, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn take_section<'a>(rest: &mut &'a [u8], what: &str) -> Result<&'a [u8], String> {
    let n = take_u32(rest, what)?;
    take(rest, n, what)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use auster_types::{RunOutputs, ScalarOutput, TableOutput};
    use serde_json::json;

    /// A result with every field set (the route tests use it too), around `series`.
    pub(crate) fn result(series: Vec<SeriesOutput>) -> RunResult {
        RunResult {
            run_id: None,
            model_slug: "m\u{e9}".into(),
            version: 3,
            status: RunStatus::Success,
            inputs: json!({"symbol": "SPX", "w": 20, "note": "a \"b\" <c>\n"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            outputs: RunOutputs {
                series,
                tables: vec![TableOutput {
                    id: "t".into(),
                    label: Some("Stats".into()),
                    columns: vec!["metric".into(), "value".into()],
                    rows: vec![
                        vec![json!("sharpe"), json!(0.71)],
                        vec![json!("n"), json!(null)],
                    ],
                }],
                scalars: vec![ScalarOutput {
                    id: "x".into(),
                    label: "X".into(),
                    value: Some(2.5),
                    format: Some("pct".into()),
                }],
            },
            steps: vec![StepTiming {
                id: "px".into(),
                operation: "fetch_market_data".into(),
                ms: 0.21,
                kind: "frame".into(),
                len: 2,
            }],
            data_sources: vec![DataSourceRef {
                provider: "bundled".into(),
                dataset: "market/SPX".into(),
                hash: "ab".into(),
            }],
            cached: false,
            runtime_ms: 0.9,
            cost: 0,
            engine_version: "0.1.0".into(),
            error: None,
        }
    }

    fn series(id: &str, color: Option<&str>, n: i32, down: Option<usize>) -> SeriesOutput {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let points = (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = match x % 9 {
                    0 => None,
                    1 => Some(f64::NAN),
                    2 => Some(f64::INFINITY),
                    3 => Some(-0.0),
                    4 => Some(f64::from_bits(x >> 2)),
                    _ => Some((x as f64 / u64::MAX as f64 - 0.5) * 1e6),
                };
                (IsoDate(-800 + i * 3), v)
            })
            .collect();
        SeriesOutput {
            id: id.into(),
            label: format!("{id} \u{1} \"q\" \u{1F600}"),
            color: color.map(str::to_string),
            points,
            downsampled_from: down,
        }
    }

    #[test]
    fn unpacking_gives_back_the_shared_json_byte_for_byte() {
        for r in [
            result(vec![]),
            result(vec![series("a", Some("#2563eb"), 500, None)]),
            result(vec![
                series("a", None, 0, Some(7)),
                series("b", Some("#000"), 1, None),
                series("c", None, 2_000, Some(9_000)),
            ]),
        ] {
            let e = encode(&r).unwrap();
            assert!(e.packed.starts_with(MAGIC));
            assert_eq!(to_json(e.packed.clone()).unwrap(), e.json);
            // The shared JSON is serde_json's form of the result without its per-run fields.
            let mut want = serde_json::to_value(&r).unwrap();
            for k in ["run_id", "cached", "cost"] {
                want.as_object_mut().unwrap().remove(k);
            }
            let got: Value = serde_json::from_slice(&e.json).unwrap();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn the_packed_form_is_much_smaller_for_series() {
        let r = result(vec![series("a", None, 10_000, None)]);
        let e = encode(&r).unwrap();
        assert!(
            e.packed.len() * 2 < e.json.len(),
            "{} vs {}",
            e.packed.len(),
            e.json.len()
        );
    }

    #[test]
    fn json_blobs_pass_through_unchanged() {
        let json = encode(&result(vec![series("a", None, 3, None)]))
            .unwrap()
            .json;
        assert_eq!(to_json(json.clone()).unwrap(), json);
        assert_eq!(to_json(b"{}".to_vec()).unwrap(), b"{}");
    }

    #[test]
    fn a_damaged_packed_blob_is_an_error_not_a_panic() {
        let packed = encode(&result(vec![series("a", None, 50, None)]))
            .unwrap()
            .packed;
        // Every truncation, a bit flip in every length prefix region, and trailing bytes.
        for n in MAGIC.len()..packed.len() {
            let err = to_json(packed[..n].to_vec()).unwrap_err();
            assert!(err.starts_with("packed run result"), "{err}");
        }
        for i in MAGIC.len()..packed.len().min(MAGIC.len() + 64) {
            let mut bad = packed.clone();
            bad[i] ^= 0xff;
            let _ = to_json(bad);
        }
        let mut longer = packed.clone();
        longer.push(0);
        assert!(to_json(longer).unwrap_err().contains("unexpected bytes"));
    }
}
