//! The line chart: several series on one date axis, with value and date ticks, a legend
//! that hides and shows series, a hover (and arrow-key) read-out of every series at the
//! nearest date, and zoom to a date range by dragging across the plot or typing dates.
//! All geometry comes from `chart_math`, which is unit-tested on the host.

use leptos::prelude::*;

use crate::chart_math::{
    date_ticks, format_tick, line_path, nearest_index, nice_step, nice_ticks, readout_date,
    union_days, value_extent, Prepared, Scale,
};
use crate::dates::{format_iso, parse_iso, Day};
use crate::format::smart;
use crate::state::Viewport;

const HEIGHT: f64 = 300.0;
const ML: f64 = 60.0;
const MR: f64 = 16.0;
const MT: f64 = 14.0;
const MB: f64 = 30.0;

#[derive(Clone, PartialEq)]
struct Geo {
    w: f64,
    lo: Day,
    hi: Day,
    x: Scale,
    y: Scale,
    yticks: Vec<(f64, String)>,
    xticks: Vec<(f64, String)>,
    paths: Vec<(String, String, usize, String)>, // id, d, points drawn, colour
    days: Vec<Day>,
}

/// A multi-series line chart over dates.
#[component]
pub fn LineChart(series: Vec<Prepared>, #[prop(optional)] title: Option<String>) -> impl IntoView {
    let vp = expect_context::<Viewport>();
    let n = series.len();
    let full = crate::chart_math::day_extent(&series).unwrap_or((0, 0));
    let series = StoredValue::new(series);
    let hidden = RwSignal::new(vec![false; n]);
    let zoom: RwSignal<Option<(Day, Day)>> = RwSignal::new(None);
    let hover: RwSignal<Option<Day>> = RwSignal::new(None);
    let drag: RwSignal<Option<(f64, f64)>> = RwSignal::new(None);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Drawn at the box's real width so 11 px labels stay 11 px; the estimate from the
    // viewport only covers the first frame, before the box exists.
    let box_ref = NodeRef::<leptos::html::Div>::new();
    let width = RwSignal::new((vp.0.get_untracked().min(1200.0) - 72.0).max(300.0));
    Effect::new(move |_| {
        let _ = vp.0.get();
        if let Some(el) = box_ref.get() {
            let w = f64::from(el.client_width());
            if w > 0.0 {
                width.set(w);
            }
        }
    });

    let geo = Memo::new(move |_| {
        let w = width.get().max(280.0);
        let (lo, hi) = zoom.get().unwrap_or(full);
        let hid = hidden.get();
        series.with_value(|all| {
            let visible: Vec<&Prepared> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| !hid[*i])
                .map(|(_, s)| s)
                .collect();
            let (vmin, vmax) = value_extent(visible.iter().copied(), lo, hi).unwrap_or((0.0, 1.0));
            let target = if w < 500.0 { 4 } else { 6 };
            let (y0, y1, ticks) = nice_ticks(vmin, vmax, target);
            let step = if ticks.len() > 1 {
                ticks[1] - ticks[0]
            } else {
                nice_step(y1 - y0, target)
            };
            let x = Scale::new(lo as f64, hi as f64, ML, w - MR);
            let y = Scale::new(y0, y1, HEIGHT - MB, MT);
            let xticks = date_ticks(lo, hi, if w < 500.0 { 4 } else { 8 })
                .into_iter()
                .map(|(d, l)| (x.map(d as f64), l))
                .collect();
            let paths = visible
                .iter()
                .map(|s| {
                    let (d, drawn) = line_path(s, lo, hi, &x, &y);
                    (s.id.clone(), d, drawn, s.color.clone())
                })
                .collect();
            Geo {
                w,
                lo,
                hi,
                x,
                y,
                yticks: ticks
                    .into_iter()
                    .map(|t| (y.map(t), format_tick(t, step)))
                    .collect(),
                xticks,
                paths,
                days: union_days(&visible, lo, hi),
            }
        })
    });

    let to_view_x = move |client_x: i32| -> Option<f64> {
        let el = svg_ref.get_untracked()?;
        let rect = el.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return None;
        }
        Some((client_x as f64 - rect.left()) * geo.get_untracked().w / rect.width())
    };
    let hover_at = move |vx: f64| {
        let g = geo.get_untracked();
        let day = g.x.invert(vx.clamp(ML, g.w - MR));
        hover.set(nearest_index(&g.days, day).map(|i| g.days[i]));
    };
    let on_move = move |ev: web_sys::MouseEvent| {
        if let Some(vx) = to_view_x(ev.client_x()) {
            if let Some((a, _)) = drag.get_untracked() {
                drag.set(Some((a, vx)));
            }
            hover_at(vx);
        }
    };
    let on_down = move |ev: web_sys::MouseEvent| {
        if ev.button() == 0 {
            if let Some(vx) = to_view_x(ev.client_x()) {
                drag.set(Some((vx, vx)));
            }
        }
    };
    let on_up = move |_ev: web_sys::MouseEvent| {
        if let Some((a, b)) = drag.get_untracked() {
            drag.set(None);
            if (a - b).abs() > 8.0 {
                let g = geo.get_untracked();
                let d0 = g.x.invert(a.min(b).max(ML)).round() as Day;
                let d1 = g.x.invert(a.max(b).min(g.w - MR)).round() as Day;
                if d1 > d0 {
                    zoom.set(Some((d0, d1)));
                }
            }
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let g = geo.get_untracked();
        if g.days.is_empty() {
            return;
        }
        let cur = hover
            .get_untracked()
            .and_then(|d| g.days.binary_search(&d).ok());
        let last = g.days.len() - 1;
        let next = match ev.key().as_str() {
            "ArrowLeft" => Some(cur.map_or(last, |i| i.saturating_sub(1))),
            "ArrowRight" => Some(cur.map_or(0, |i| (i + 1).min(last))),
            "Home" => Some(0),
            "End" => Some(last),
            "Escape" => {
                hover.set(None);
                None
            }
            _ => return,
        };
        ev.prevent_default();
        if let Some(i) = next {
            hover.set(Some(g.days[i]));
        }
    };

    let readout = move || {
        let day = hover.get()?;
        let g = geo.get();
        let hid = hidden.get();
        let rows: Vec<(String, String, Option<f64>)> = series.with_value(|all| {
            all.iter()
                .enumerate()
                .filter(|(i, _)| !hid[*i])
                .map(|(_, s)| (s.label.clone(), s.color.clone(), s.value_at(day)))
                .collect()
        });
        Some((day, g.x.map(day as f64), g.w, rows))
    };

    let from_text = RwSignal::new(format_iso(full.0));
    let to_text = RwSignal::new(format_iso(full.1));
    let zoom_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (a, b) = zoom.get().unwrap_or(full);
        from_text.set(format_iso(a));
        to_text.set(format_iso(b));
    });
    let apply_zoom = move || match (
        parse_iso(&from_text.get_untracked()),
        parse_iso(&to_text.get_untracked()),
    ) {
        (Some(a), Some(b)) if a < b => {
            zoom_error.set(None);
            zoom.set(Some((a.max(full.0), b.min(full.1))));
        }
        (Some(_), Some(_)) => zoom_error.set(Some("“From” must be before “to”.".into())),
        _ => zoom_error.set(Some("Write both dates as YYYY-MM-DD.".into())),
    };
    let labels = series.with_value(|s| {
        s.iter()
            .map(|x| x.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let aria = format!(
        "Line chart of {labels} from {} to {}. Use the arrow keys to read values.",
        format_iso(full.0),
        format_iso(full.1)
    );
    let uid = series.with_value(|s| s.first().map(|x| x.id.clone()).unwrap_or_default());

    view! {
        <figure class="chart" data-series-count=n>
            <figcaption class="chart-head">
                {title.map(|t| view! { <span class="chart-title">{t}</span> })}
                <div class="legend" role="group" aria-label="Series">
                    {series.with_value(|all| all.iter().enumerate().map(|(i, s)| {
                        let color = s.color.clone();
                        view! {
                            <button class="legend-item" aria-pressed=move || (!hidden.get()[i]).to_string()
                                on:click=move |_| hidden.update(|h| h[i] = !h[i])
                                title="Show or hide this series">
                                <span class="swatch" style=format!("background:{color}")></span>
                                {s.label.clone()}
                            </button>
                        }
                    }).collect_view())}
                </div>
            </figcaption>
            <div class="chart-box" node_ref=box_ref>
                <svg node_ref=svg_ref class="chart-svg" role="img" aria-label=aria tabindex="0"
                    viewBox=move || format!("0 0 {:.0} {HEIGHT}", geo.get().w)
                    on:mousemove=on_move on:mousedown=on_down on:mouseup=on_up
                    on:mouseleave=move |_| { hover.set(None); drag.set(None); }
                    on:keydown=on_key on:blur=move |_| hover.set(None)>
                    <g class="grid">
                        {move || {
                            let g = geo.get();
                            g.yticks.into_iter().map(|(y, label)| view! {
                                <line x1=ML x2={g.w - MR} y1=y y2=y></line>
                                <text x={ML - 8.0} y={y + 4.0} text-anchor="end">{label}</text>
                            }).collect_view()
                        }}
                    </g>
                    <g class="xaxis">
                        {move || {
                            let g = geo.get();
                            view! {
                                <line x1=ML x2={g.w - MR} y1={HEIGHT - MB} y2={HEIGHT - MB}></line>
                                {g.xticks.into_iter().map(|(x, label)| view! {
                                    <line x1=x x2=x y1={HEIGHT - MB} y2={HEIGHT - MB + 5.0}></line>
                                    <text x=x y={HEIGHT - 8.0} text-anchor="middle">{label}</text>
                                }).collect_view()}
                            }
                        }}
                    </g>
                    <g class="lines">
                        {move || geo.get().paths.into_iter().map(|(id, d, drawn, color)| view! {
                            <path class="series" d=d stroke=color data-series=id data-points=drawn
                                fill="none" stroke-width="1.75" stroke-linejoin="round"></path>
                        }).collect_view()}
                    </g>
                    {move || readout().map(|(_, x, _, rows)| {
                        let g = geo.get_untracked();
                        view! {
                            <g class="cursor">
                                <line x1=x x2=x y1=MT y2={HEIGHT - MB}></line>
                                {rows.into_iter().filter_map(|(_, color, v)| v.map(|v| view! {
                                    <circle cx=x cy={g.y.map(v)} r="3.5" fill=color></circle>
                                })).collect_view()}
                            </g>
                        }
                    })}
                    {move || drag.get().filter(|(a, b)| (a - b).abs() > 2.0).map(|(a, b)| view! {
                        <rect class="selection" x={a.min(b)} y=MT width={(a - b).abs()} height={HEIGHT - MT - MB}></rect>
                    })}
                </svg>
                <div class="readout" aria-live="polite">
                    {move || readout().map(|(day, x, w, rows)| {
                        let left = x / w * 100.0;
                        let style = if left > 60.0 {
                            format!("right:{:.1}%", 100.0 - left + 1.0)
                        } else {
                            format!("left:{:.1}%", left + 1.0)
                        };
                        view! {
                            <div class="tooltip" style=style>
                                <div class="tooltip-date">{readout_date(day)}</div>
                                {rows.into_iter().map(|(label, color, v)| view! {
                                    <div class="tooltip-row">
                                        <span class="swatch" style=format!("background:{color}")></span>
                                        <span class="tooltip-label">{label}</span>
                                        <span class="tooltip-value">{v.map_or("—".to_string(), smart)}</span>
                                    </div>
                                }).collect_view()}
                            </div>
                        }
                    })}
                </div>
            </div>
            <form class="zoom-row" on:submit=move |ev| { ev.prevent_default(); apply_zoom(); }>
                <label>"From "
                    <input type="date" name=format!("{uid}-from") prop:value=move || from_text.get()
                        min=format_iso(full.0) max=format_iso(full.1)
                        on:input=move |ev| from_text.set(event_target_value(&ev)) />
                </label>
                <label>"to "
                    <input type="date" name=format!("{uid}-to") prop:value=move || to_text.get()
                        min=format_iso(full.0) max=format_iso(full.1)
                        on:input=move |ev| to_text.set(event_target_value(&ev)) />
                </label>
                <button class="btn btn-small" type="submit">"Zoom"</button>
                <button class="btn btn-small btn-ghost" type="button"
                    disabled=move || zoom.get().is_none()
                    on:click=move |_| { zoom.set(None); zoom_error.set(None); }>"Reset zoom"</button>
                <span class="hint">"Tip: drag across the chart to zoom."</span>
                {move || zoom_error.get().map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
            </form>
        </figure>
    }
}
