//! A result table sortable by any column (click or Enter on a header; `aria-sort` tells
//! assistive tech the order), with its own CSV download.

use auster_types::TableOutput;
use leptos::prelude::*;

use crate::format::cell;
use crate::tabular::{sorted_order, table_csv};
use crate::util::download;

/// A sortable table.
#[component]
pub fn SortableTable(table: TableOutput) -> impl IntoView {
    let sort: RwSignal<Option<(usize, bool)>> = RwSignal::new(None);
    let table = StoredValue::new(table);
    let caption = table.with_value(|t| t.label.clone().unwrap_or_else(|| t.id.replace('_', " ")));
    let columns = table.with_value(|t| t.columns.clone());
    let numeric: Vec<bool> = table.with_value(|t| {
        (0..t.columns.len())
            .map(|c| {
                t.rows
                    .iter()
                    .any(|r| r.get(c).is_some_and(|v| v.is_number()))
            })
            .collect()
    });
    let order = move || {
        table.with_value(|t| match sort.get() {
            Some((c, asc)) => sorted_order(&t.rows, c, asc),
            None => (0..t.rows.len()).collect(),
        })
    };
    let click = move |c: usize| {
        sort.update(|s| {
            *s = match *s {
                Some((cur, asc)) if cur == c => Some((c, !asc)),
                _ => Some((c, true)),
            }
        })
    };
    let numeric = StoredValue::new(numeric);
    view! {
        <figure class="table-wrap">
            <figcaption>
                <span>{caption.clone()}</span>
                <button class="btn btn-small btn-ghost" on:click=move |_| {
                    table.with_value(|t| download(&format!("{}.csv", t.id), "text/csv", &table_csv(t)))
                }>"CSV"</button>
            </figcaption>
            <div class="scroll-x" tabindex="0" role="region" aria-label=caption>
                <table class="data-table">
                    <thead><tr>
                        {columns.into_iter().enumerate().map(|(c, name)| {
                            let aria = move || match sort.get() {
                                Some((s, true)) if s == c => "ascending",
                                Some((s, false)) if s == c => "descending",
                                _ => "none",
                            };
                            let arrow = move || match sort.get() {
                                Some((s, true)) if s == c => "▲",
                                Some((s, false)) if s == c => "▼",
                                _ => "↕",
                            };
                            let is_num = numeric.with_value(|n| n[c]);
                            view! {
                                <th scope="col" aria-sort=aria class:num=is_num>
                                    <button class="th-btn" on:click=move |_| click(c)>
                                        {name}<span class="sort-arrow" aria-hidden="true">{arrow}</span>
                                    </button>
                                </th>
                            }
                        }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {move || order().into_iter().map(|i| {
                            let row = table.with_value(|t| t.rows[i].clone());
                            view! { <tr>{row.iter().enumerate().map(|(c, v)| {
                                let is_num = v.is_number() || numeric.with_value(|n| n.get(c).copied().unwrap_or(false));
                                view! { <td class:num=is_num>{cell(v)}</td> }
                            }).collect_view()}</tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </figure>
    }
}
