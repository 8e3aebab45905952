//! The conformance suite: every case runs against SQLite (one test each) and against
//! DynamoDB + S3 through the real AWS SDK and a moto server this test starts on a free
//! loopback port (`aws_conformance`, one fresh table and bucket per case).

mod support;

use std::{collections::HashSet, future::Future, pin::Pin, sync::Arc, time::Duration};

use auster_store::*;
use auster_types::{Difficulty, LabScope};
use support::*;

type Case = fn(Arc<dyn Store>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        #[cfg_attr(not(feature = "aws"), allow(dead_code))]
        const CASES: &[(&str, Case)] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (s, _home) = super::sqlite_store().await;
                    super::$name(s).await;
                }
            )*
        }
    };
}

cases!(
    accounts_and_keys,
    models_versions_and_access,
    catalogue_filters_sorts_and_pages,
    forks,
    runs_usage_and_idempotency,
    saves,
    ratings,
    artifacts,
    credits_ledger,
    quotas,
    cache_and_blobs,
    visibility_isolation,
    concurrent_charges,
    concurrent_ratings,
);

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aws_conformance() {
    let Some(moto) = start_moto() else { return };
    for (name, case) in CASES {
        eprintln!("aws case: {name}");
        let (s, _cfg) = aws_store(&moto).await;
        case(s).await;
    }
}

fn cat(e: &StoreError) -> ErrorCategory {
    e.category()
}

/// Asserts that a call was refused with a sentence naming `word`.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(r: Result<T>, word: &str) {
    let e = r.unwrap_err();
    assert!(e.to_string().contains(word), "expected `{word}` in: {e}");
}

/// A sign-up with a fresh key.
fn signup(email: &str, initial_credits: i64) -> NewAccount {
    NewAccount {
        email: email.into(),
        plan: Plan::Free,
        initial_credits,
        api_key: generate_api_key(None).new_key,
    }
}

/// A public econ model named `x` (for create calls expected to fail on the slug).
fn public_model(slug: &str, owner: &str) -> NewModel {
    new_model(
        slug,
        Some(owner),
        meta("x", LabScope::Econ, Visibility::Public),
    )
}

/// A fork of `parent` named `slug`.
fn fork(slug: &str, owner: &str, vis: Visibility, parent: &str) -> NewModel {
    let mut f = new_model(slug, Some(owner), meta(slug, LabScope::Econ, vis));
    f.forked_from = Some(parent.into());
    f
}

/// The page of `limit` after `cursor`.
fn after(limit: u32, cursor: Option<String>) -> PageRequest {
    PageRequest { limit, cursor }
}

/// The slugs of a page's items, in order.
fn slugs<T>(items: &[T], slug: fn(&T) -> &str) -> Vec<&str> {
    items.iter().map(slug).collect()
}

async fn accounts_and_keys(s: Arc<dyn Store>) {
    let k = generate_api_key(Some("laptop".into()));
    assert!(k.plaintext.starts_with("ak_") && k.plaintext.len() == 51);
    assert_eq!(k.new_key.hash, hash_api_key(&k.plaintext));
    let a = s
        .create_account(NewAccount {
            email: "  Alice@Example.com ".into(),
            plan: Plan::Free,
            initial_credits: 25,
            api_key: k.new_key.clone(),
        })
        .await
        .unwrap();
    assert_eq!(a.email, "alice@example.com");
    assert_eq!(a.credits, 25);
    assert_eq!(s.get_account(&a.id).await.unwrap(), a);
    assert_eq!(
        s.get_account_by_email("ALICE@example.com")
            .await
            .unwrap()
            .id,
        a.id
    );
    // One account per address, whatever the case.
    let dup = s
        .create_account(signup("alice@EXAMPLE.com", 0))
        .await
        .unwrap_err();
    assert_eq!(cat(&dup), ErrorCategory::Conflict, "{dup}");
    let bad = s.create_account(signup("no-at-sign", 0)).await.unwrap_err();
    assert_eq!(cat(&bad), ErrorCategory::Invalid);
    assert!(bad.to_string().contains("email"), "{bad}");
    // The signup grant is the first ledger entry.
    let ledger = s.list_ledger(&a.id, &PageRequest::first(10)).await.unwrap();
    assert_eq!(ledger.items.len(), 1);
    assert_eq!(
        (
            ledger.items[0].seq,
            ledger.items[0].delta,
            ledger.items[0].reason.as_str()
        ),
        (1, 25, "signup")
    );

    // Keys: authenticate by hash, list, revoke.
    let who = s.authenticate(&k.new_key.hash).await.unwrap();
    assert_eq!(who.id, a.id);
    let rec = s.get_api_key(&k.new_key.hash).await.unwrap();
    assert!(rec.last_used_at.is_some());
    assert_eq!(rec.prefix, &k.plaintext[..9]);
    assert_eq!(rec.name.as_deref(), Some("laptop"));
    let k2 = generate_api_key(None);
    let rec2 = s.create_api_key(&a.id, k2.new_key.clone()).await.unwrap();
    let dup_key = s
        .create_api_key(&a.id, k2.new_key.clone())
        .await
        .unwrap_err();
    assert_eq!(cat(&dup_key), ErrorCategory::Conflict);
    let keys = s.list_api_keys(&a.id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.user_id == a.id && k.hash.len() == 64));
    let revoked = s.revoke_api_key(&a.id, &rec2.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    let e = s.authenticate(&k2.new_key.hash).await.unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::NotFound);
    let unknown = s.authenticate(&hash_api_key("ak_nope")).await.unwrap_err();
    assert_eq!(cat(&unknown), ErrorCategory::NotFound);
    // Another user cannot revoke Alice's key.
    let b = account(&s, "bob", 0).await;
    let e = s.revoke_api_key(&b.id, &rec.id).await.unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::NotFound);
    assert!(s.authenticate(&k.new_key.hash).await.is_ok());
    assert_eq!(
        s.set_plan(&a.id, Plan::Paid).await.unwrap().plan,
        Plan::Paid
    );
    assert_eq!(
        cat(&s.get_account("nobody").await.unwrap_err()),
        ErrorCategory::NotFound
    );
}

async fn models_versions_and_access(s: Arc<dyn Store>) {
    let a = account(&s, "owner", 0).await;
    let b = account(&s, "other", 0).await;
    let m = model(&s, "alpha", &a.id, Visibility::Public).await;
    assert_eq!(
        (m.latest_version, m.stats.runs, m.owner_id.as_deref()),
        (1, 0, Some(a.id.as_str()))
    );
    assert_eq!(s.get_model("alpha", None).await.unwrap(), m);
    let dup = s
        .create_model(public_model("alpha", &b.id))
        .await
        .unwrap_err();
    assert_eq!(cat(&dup), ErrorCategory::Conflict);
    let bad = s
        .create_model(public_model("Bad Slug", &a.id))
        .await
        .unwrap_err();
    assert_eq!(cat(&bad), ErrorCategory::Invalid);
    assert!(bad.to_string().contains("slug"), "{bad}");
    let mut long = meta("x", LabScope::Econ, Visibility::Public);
    long.name = String::new();
    assert_refused(
        s.create_model(new_model("empty-name", Some(&a.id), long))
            .await,
        "name",
    );

    // Only the owner changes it: others get Forbidden on a public model.
    let patch = ModelPatch {
        name: Some("Alpha 2".into()),
        tags: Some(vec!["x".into(), "y".into()]),
        ..Default::default()
    };
    let e = s
        .update_model("alpha", &b.id, patch.clone())
        .await
        .unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::Forbidden);
    let up = s.update_model("alpha", &a.id, patch).await.unwrap();
    assert_eq!((up.meta.name.as_str(), up.meta.tags.len()), ("Alpha 2", 2));
    let bad_tag = ModelPatch {
        tags: Some(vec!["Not A Tag".into()]),
        ..Default::default()
    };
    assert_eq!(
        cat(&s.update_model("alpha", &a.id, bad_tag).await.unwrap_err()),
        ErrorCategory::Invalid
    );

    // Versions are numbered and immutable.
    let mut v2 = NewVersion {
        dsl: dsl(),
        input_schema: Default::default(),
        changelog: "second".into(),
    };
    v2.dsl.version = "1.0".into();
    let rec = s.add_version("alpha", &a.id, v2.clone()).await.unwrap();
    assert_eq!(rec.version, 2);
    assert_eq!(
        cat(&s.add_version("alpha", &b.id, v2).await.unwrap_err()),
        ErrorCategory::Forbidden
    );
    assert_eq!(
        s.get_version("alpha", None, None).await.unwrap().changelog,
        "second"
    );
    assert_eq!(
        s.get_version("alpha", Some(1), None)
            .await
            .unwrap()
            .changelog,
        "first"
    );
    assert_eq!(
        s.get_version("alpha", Some(1), None).await.unwrap().dsl,
        dsl()
    );
    assert_eq!(
        cat(&s.get_version("alpha", Some(9), None).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    let vs = s.list_versions("alpha", None).await.unwrap();
    assert_eq!(vs.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(s.get_model("alpha", None).await.unwrap().latest_version, 2);

    // Private: the owner sees it, nobody else knows it exists.
    model(&s, "secret", &a.id, Visibility::Private).await;
    assert!(s.get_model("secret", Some(&a.id)).await.is_ok());
    for viewer in [None, Some(b.id.as_str())] {
        assert_eq!(
            cat(&s.get_model("secret", viewer).await.unwrap_err()),
            ErrorCategory::NotFound
        );
    }
    assert_eq!(
        cat(&s
            .update_model("secret", &b.id, ModelPatch::default())
            .await
            .unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(
        cat(&s.delete_model("secret", &b.id).await.unwrap_err()),
        ErrorCategory::NotFound
    );

    // Delete: gone for everyone, slug free again.
    assert_eq!(
        cat(&s.delete_model("alpha", &b.id).await.unwrap_err()),
        ErrorCategory::Forbidden
    );
    s.delete_model("alpha", &a.id).await.unwrap();
    assert_eq!(
        cat(&s.get_model("alpha", Some(&a.id)).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(
        cat(&s
            .get_version("alpha", Some(1), Some(&a.id))
            .await
            .unwrap_err()),
        ErrorCategory::NotFound
    );
    let again = model(&s, "alpha", &b.id, Visibility::Public).await;
    assert_eq!(again.latest_version, 1);
    assert_eq!(s.list_versions("alpha", None).await.unwrap().len(), 1);
}

async fn catalogue_filters_sorts_and_pages(s: Arc<dyn Store>) {
    let a = account(&s, "cat", 0).await;
    let u = account(&s, "runner", 0).await;
    // (slug, lab, difficulty, visibility, runs, tag)
    let specs = [
        (
            "m-econ-1",
            LabScope::Econ,
            Difficulty::Basic,
            Visibility::Public,
            5,
            "trend",
        ),
        (
            "m-econ-2",
            LabScope::Econ,
            Difficulty::Advanced,
            Visibility::Public,
            3,
            "macro",
        ),
        (
            "m-deriv",
            LabScope::Derivatives,
            Difficulty::Intermediate,
            Visibility::Public,
            4,
            "options",
        ),
        (
            "m-crypto",
            LabScope::Crypto,
            Difficulty::Basic,
            Visibility::Public,
            1,
            "btc",
        ),
        (
            "m-both",
            LabScope::Both,
            Difficulty::Basic,
            Visibility::Public,
            2,
            "trend",
        ),
        (
            "m-unlisted",
            LabScope::Econ,
            Difficulty::Basic,
            Visibility::Unlisted,
            9,
            "trend",
        ),
        (
            "m-private",
            LabScope::Econ,
            Difficulty::Basic,
            Visibility::Private,
            8,
            "trend",
        ),
    ];
    for (slug, lab, diff, vis, runs, tag) in specs {
        let mut m = meta(slug, lab, vis);
        m.difficulty = diff;
        m.tags = vec![tag.into()];
        if slug == "m-deriv" {
            m.description = "Implied VOLATILITY smile".into();
        }
        s.create_model(new_model(slug, Some(&a.id), m))
            .await
            .unwrap();
        for _ in 0..runs {
            s.record_run(run_of(&u.id, slug, None)).await.unwrap();
        }
        // Distinct creation times for the `new` order.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let list = |q: ModelQuery, limit: u32| {
        let s = s.clone();
        async move {
            s.list_public_models(&q, &PageRequest::first(limit))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|m| m.slug)
                .collect::<Vec<_>>()
        }
    };
    let all = list(ModelQuery::default(), 50).await;
    assert_eq!(
        all,
        vec!["m-econ-1", "m-deriv", "m-econ-2", "m-both", "m-crypto"],
        "popular, public only"
    );
    let filtered: [(ModelQuery, Vec<&str>, &str); 7] = [
        (
            ModelQuery {
                lab: Some(LabScope::Econ),
                ..Default::default()
            },
            vec!["m-econ-1", "m-econ-2", "m-both"],
            "lab econ includes `both`",
        ),
        (
            ModelQuery {
                tag: Some("trend".into()),
                ..Default::default()
            },
            vec!["m-econ-1", "m-both"],
            "tag",
        ),
        (
            ModelQuery {
                difficulty: Some(Difficulty::Basic),
                ..Default::default()
            },
            vec!["m-econ-1", "m-both", "m-crypto"],
            "difficulty",
        ),
        (
            ModelQuery {
                q: Some("volatility".into()),
                ..Default::default()
            },
            vec!["m-deriv"],
            "text in the description, any case",
        ),
        (
            ModelQuery {
                q: Some("M-CRYPTO".into()),
                ..Default::default()
            },
            vec!["m-crypto"],
            "text in the slug, any case",
        ),
        (
            ModelQuery {
                q: Some("m-unlisted".into()),
                ..Default::default()
            },
            vec![],
            "unlisted models are never listed",
        ),
        (
            ModelQuery {
                sort: ModelSort::New,
                ..Default::default()
            },
            vec!["m-both", "m-crypto", "m-deriv", "m-econ-2", "m-econ-1"],
            "newest first",
        ),
    ];
    for (q, want, what) in filtered {
        assert_eq!(list(q, 50).await, want, "{what}");
    }
    // Ratings order: 5.0, 4.0, 3.0, then unrated ones.
    for (slug, stars) in [("m-crypto", 5), ("m-econ-2", 3), ("m-both", 4)] {
        s.rate_model(&u.id, slug, stars, None).await.unwrap();
    }
    let by_rating = list(
        ModelQuery {
            sort: ModelSort::Rating,
            ..Default::default()
        },
        50,
    )
    .await;
    assert_eq!(&by_rating[..3], &["m-crypto", "m-both", "m-econ-2"]);
    assert_eq!(by_rating.len(), 5);

    // Pages of 2 walk every public model exactly once, in order; the last page has no cursor.
    for sort in [ModelSort::Popular, ModelSort::New, ModelSort::Rating] {
        let q = ModelQuery {
            sort,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut page = PageRequest::first(2);
        loop {
            let p = s.list_public_models(&q, &page).await.unwrap();
            assert!(p.items.len() <= 2);
            seen.extend(p.items.into_iter().map(|m| m.slug));
            match p.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, list(q.clone(), 50).await, "{sort:?}");
    }
    // Filtered pages too.
    let q = ModelQuery {
        lab: Some(LabScope::Econ),
        ..Default::default()
    };
    let p1 = s
        .list_public_models(&q, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = s
        .list_public_models(&q, &after(2, p1.next_cursor.clone()))
        .await
        .unwrap();
    assert_eq!(slugs(&p2.items, |m| &m.slug), vec!["m-both"]);
    assert!(p2.next_cursor.is_none());
    // Cursors are opaque and checked.
    let bad = s
        .list_public_models(&ModelQuery::default(), &after(2, Some("zz".into())))
        .await
        .unwrap_err();
    assert_eq!(cat(&bad), ErrorCategory::Invalid);
    let other_sort = ModelQuery {
        sort: ModelSort::New,
        ..Default::default()
    };
    let e = s
        .list_public_models(&other_sort, &after(2, p1.next_cursor))
        .await
        .unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::Invalid);
    for limit in [0, 101] {
        assert_refused(
            s.list_public_models(&ModelQuery::default(), &PageRequest::first(limit))
                .await,
            "limit",
        );
    }
    // A user's models: all for the owner, public ones for others, newest first.
    let mine = s
        .list_user_models(&a.id, Some(&a.id), &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 7);
    assert_eq!(mine.items[0].slug, "m-private");
    let theirs = s
        .list_user_models(&a.id, Some(&u.id), &PageRequest::first(3))
        .await
        .unwrap();
    assert_eq!(
        slugs(&theirs.items, |m| &m.slug),
        vec!["m-both", "m-crypto", "m-deriv"]
    );
    let rest = s
        .list_user_models(&a.id, None, &after(3, theirs.next_cursor))
        .await
        .unwrap();
    assert_eq!(
        slugs(&rest.items, |m| &m.slug),
        vec!["m-econ-2", "m-econ-1"]
    );
    assert!(rest.next_cursor.is_none());
}

async fn forks(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    let b = account(&s, "b", 0).await;
    model(&s, "parent", &a.id, Visibility::Public).await;
    model(&s, "hidden", &a.id, Visibility::Private).await;
    let c = s
        .create_model(fork("child", &b.id, Visibility::Private, "parent"))
        .await
        .unwrap();
    assert_eq!(c.forked_from.as_deref(), Some("parent"));
    assert_eq!(s.get_model("parent", None).await.unwrap().stats.forks, 1);
    let f = fork("child2", &b.id, Visibility::Public, "hidden");
    assert_eq!(
        cat(&s.create_model(f).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(
        cat(&s.get_model("child2", Some(&b.id)).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    let f = fork("child3", &b.id, Visibility::Public, "nope");
    assert_eq!(
        cat(&s.create_model(f).await.unwrap_err()),
        ErrorCategory::NotFound
    );
}

async fn runs_usage_and_idempotency(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    let b = account(&s, "b", 0).await;
    model(&s, "m", &a.id, Visibility::Public).await;
    let out = br#"{"outputs":{"series":[]}}"#.to_vec();
    let r1 = s
        .record_run(run_of(&a.id, "m", Some(out.clone())))
        .await
        .unwrap();
    assert_eq!(r1.output_size, out.len() as u64);
    assert_eq!(r1.output_hash.as_deref().map(str::len), Some(64));
    assert_eq!(s.get_run(&r1.id, &a.id).await.unwrap(), r1);
    assert_eq!(s.get_run_output(&r1.id, &a.id).await.unwrap(), out);
    assert_eq!(
        cat(&s.get_run(&r1.id, &b.id).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(
        cat(&s.get_run_output(&r1.id, &b.id).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    let r2 = s.record_run(run_of(&a.id, "m", None)).await.unwrap();
    assert_eq!(
        cat(&s.get_run_output(&r2.id, &a.id).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    s.record_run(run_of(&b.id, "m", None)).await.unwrap();
    let m = s.get_model("m", None).await.unwrap();
    assert_eq!((m.stats.runs, m.stats.unique_users), (3, 2));
    let today = day_of(now_ms());
    let usage = s.model_usage("m", today - 1, today + 1).await.unwrap();
    assert_eq!(
        usage,
        vec![DailyUsage {
            day: today,
            runs: 3,
            unique_users: 2
        }]
    );
    assert_eq!(s.user_usage(&a.id, today).await.unwrap().runs, 2);
    assert_eq!(
        s.user_usage(&a.id, today - 5).await.unwrap(),
        UserDailyUsage::default()
    );

    // Newest first, paged.
    let p = s
        .list_user_runs(&a.id, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(p.items[0].id, r2.id);
    let p2 = s
        .list_user_runs(&a.id, &after(1, p.next_cursor))
        .await
        .unwrap();
    assert_eq!(p2.items[0].id, r1.id);
    assert!(p2.next_cursor.is_none());

    // Idempotency: the same key answers the first run and counts nothing twice.
    let mut n = run_of(&a.id, "m", Some(b"once".to_vec()));
    n.idempotency_key = Some("req-123".into());
    let first = s.record_run(n.clone()).await.unwrap();
    let second = s.record_run(n.clone()).await.unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(
        s.find_idempotent_run(&a.id, "req-123")
            .await
            .unwrap()
            .map(|r| r.id),
        Some(first.id.clone())
    );
    assert!(
        s.find_idempotent_run(&b.id, "req-123")
            .await
            .unwrap()
            .is_none(),
        "keys are per user"
    );
    assert_eq!(s.get_model("m", None).await.unwrap().stats.runs, 4);

    let e = s
        .record_run(run_of(&a.id, "missing", None))
        .await
        .unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::NotFound);
    // A run pointing at a shared output blob: a refused record leaves that blob alone
    // (other runs point at it), a recorded one reads it back.
    let shared = br#"{"shared":true}"#.to_vec();
    let blob = StoredBlob::shared_run_output(&shared);
    s.put_blob(&blob.key, &shared).await.unwrap();
    let mut refused = run_of(&a.id, "missing", None);
    refused.output = Some(RunOutput::Stored(blob.clone()));
    assert_eq!(
        cat(&s.record_run(refused).await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(s.get_blob(&blob.key).await.unwrap(), shared);
    let mut pointing = run_of(&a.id, "m", None);
    pointing.output = Some(RunOutput::Stored(blob.clone()));
    let r = s.record_run(pointing).await.unwrap();
    assert_eq!(r.output_key.as_deref(), Some(blob.key.as_str()));
    assert_eq!(s.get_run_output(&r.id, &a.id).await.unwrap(), shared);
    let mut bad = run_of(&a.id, "m", None);
    bad.runtime_ms = f64::NAN;
    assert_refused(s.record_run(bad).await, "runtime_ms");

    // The caller's id is the run's id, and the cache flag reads back as recorded.
    let mut hit = run_of(&a.id, "m", None);
    hit.cached = true;
    let want_id = hit.id.clone();
    let r = s.record_run(hit).await.unwrap();
    assert_eq!(r.id, want_id);
    assert!(r.cached);
    assert!(s.get_run(&want_id, &a.id).await.unwrap().cached);
    assert!(!s.get_run(&r1.id, &a.id).await.unwrap().cached);
    // A reused id is refused, and the recorded run and its output stay as they were.
    let mut again = run_of(&a.id, "m", Some(b"overwrite?".to_vec()));
    again.id = r1.id.clone();
    assert_eq!(
        cat(&s.record_run(again).await.unwrap_err()),
        ErrorCategory::Conflict
    );
    let mut again = run_of(&b.id, "m", None);
    again.id = r1.id.clone();
    assert_eq!(
        cat(&s.record_run(again).await.unwrap_err()),
        ErrorCategory::Conflict
    );
    assert_eq!(s.get_run(&r1.id, &a.id).await.unwrap(), r1);
    assert_eq!(s.get_run_output(&r1.id, &a.id).await.unwrap(), out);
    let mut bad = run_of(&a.id, "m", None);
    bad.id = "not an id!".into();
    assert_refused(s.record_run(bad).await, "id");
}

async fn saves(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    let b = account(&s, "b", 0).await;
    model(&s, "s1", &a.id, Visibility::Public).await;
    model(&s, "s2", &a.id, Visibility::Unlisted).await;
    model(&s, "s3", &a.id, Visibility::Private).await;
    assert!(s.save_model(&b.id, "s1").await.unwrap());
    assert!(
        !s.save_model(&b.id, "s1").await.unwrap(),
        "second save is a no-op"
    );
    tokio::time::sleep(Duration::from_millis(3)).await;
    assert!(s.save_model(&b.id, "s2").await.unwrap());
    assert_eq!(
        cat(&s.save_model(&b.id, "s3").await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert!(
        s.save_model(&a.id, "s3").await.unwrap(),
        "owners may save their private models"
    );
    assert_eq!(s.get_model("s1", None).await.unwrap().stats.saves, 1);
    assert!(s.is_saved(&b.id, "s1").await.unwrap());
    let p = s.list_saves(&b.id, &PageRequest::first(1)).await.unwrap();
    assert_eq!(p.items[0].slug, "s2");
    let p2 = s.list_saves(&b.id, &after(1, p.next_cursor)).await.unwrap();
    assert_eq!(p2.items[0].slug, "s1");
    assert!(p2.next_cursor.is_none());
    // A saved model that turns private vanishes from others' saves.
    s.update_model(
        "s2",
        &a.id,
        ModelPatch {
            visibility: Some(Visibility::Private),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = s.list_saves(&b.id, &PageRequest::first(10)).await.unwrap();
    assert_eq!(
        p.items.iter().map(|m| m.slug.as_str()).collect::<Vec<_>>(),
        vec!["s1"]
    );
    assert!(s.unsave_model(&b.id, "s1").await.unwrap());
    assert!(!s.unsave_model(&b.id, "s1").await.unwrap());
    assert_eq!(s.get_model("s1", None).await.unwrap().stats.saves, 0);
    assert!(!s.is_saved(&b.id, "s1").await.unwrap());
}

async fn ratings(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    let b = account(&s, "b", 0).await;
    model(&s, "r", &a.id, Visibility::Public).await;
    let sum = s
        .rate_model(&a.id, "r", 4, Some("solid".into()))
        .await
        .unwrap();
    assert_eq!((sum.count, sum.average), (1, Some(4.0)));
    assert_eq!(
        sum.mine.as_ref().map(|m| (m.stars, m.review.as_deref())),
        Some((4, Some("solid")))
    );
    let sum = s.rate_model(&a.id, "r", 2, None).await.unwrap();
    assert_eq!(
        (sum.count, sum.average),
        (1, Some(2.0)),
        "re-rating replaces"
    );
    // Ratings are ordered by their timestamp (milliseconds): make "newest" unambiguous.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let sum = s.rate_model(&b.id, "r", 5, None).await.unwrap();
    assert_eq!((sum.count, sum.average), (2, Some(3.5)));
    let m = s.get_model("r", None).await.unwrap();
    assert_eq!((m.stats.rating_count, m.stats.rating_sum), (2, 7));
    for bad in [0u8, 6] {
        assert_refused(s.rate_model(&b.id, "r", bad, None).await, "rating must be");
    }
    let anon = s.rating_summary("r", None).await.unwrap();
    assert_eq!((anon.count, anon.mine), (2, None));
    assert_eq!(
        s.rating_summary("r", Some(&b.id))
            .await
            .unwrap()
            .mine
            .map(|m| m.stars),
        Some(5)
    );
    let list = s.list_ratings("r", &PageRequest::first(10)).await.unwrap();
    assert_eq!(list.items.len(), 2);
    assert_eq!(list.items[0].user_id, b.id, "newest first");
    let sum = s.unrate_model(&b.id, "r").await.unwrap();
    assert_eq!((sum.count, sum.average, sum.mine), (1, Some(2.0), None));
    let sum = s.unrate_model(&b.id, "r").await.unwrap();
    assert_eq!(sum.count, 1, "unrating twice changes nothing");
    s.unrate_model(&a.id, "r").await.unwrap();
    let sum = s.rating_summary("r", None).await.unwrap();
    assert_eq!((sum.count, sum.average), (0, None));
    assert_eq!(
        cat(&s.rate_model(&a.id, "nope", 3, None).await.unwrap_err()),
        ErrorCategory::NotFound
    );
}

async fn artifacts(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    let b = account(&s, "b", 0).await;
    model(&s, "m", &a.id, Visibility::Public).await;
    let r = run(&s, &a.id, "m").await;
    let rb = run(&s, &b.id, "m").await;
    let art = |slug: &str, run_id: &str, owner: &str, vis| NewArtifact {
        slug: slug.into(),
        owner_id: owner.into(),
        run_id: run_id.into(),
        title: format!("Result {slug}"),
        summary: "What we found".into(),
        visibility: vis,
        body: format!("{{\"artifact\":\"{slug}\"}}").into_bytes(),
    };
    let pubd = s
        .create_artifact(art("pub-1", &r.id, &a.id, Visibility::Public))
        .await
        .unwrap();
    assert_eq!((pubd.model_slug.as_str(), pubd.views), ("m", 0));
    assert_eq!(s.get_artifact("pub-1", None).await.unwrap(), pubd);
    assert_eq!(
        s.get_artifact_body("pub-1", None).await.unwrap(),
        br#"{"artifact":"pub-1"}"#.to_vec()
    );
    assert_eq!(s.record_artifact_view("pub-1").await.unwrap(), 1);
    assert_eq!(s.record_artifact_view("pub-1").await.unwrap(), 2);
    assert_eq!(s.get_artifact("pub-1", None).await.unwrap().views, 2);
    let e = s
        .create_artifact(art("pub-1", &r.id, &a.id, Visibility::Public))
        .await
        .unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::Conflict);
    let e = s
        .create_artifact(art("theft", &rb.id, &a.id, Visibility::Public))
        .await
        .unwrap_err();
    assert_eq!(
        cat(&e),
        ErrorCategory::NotFound,
        "publishing someone else's run"
    );
    let mut t = art("no-title", &r.id, &a.id, Visibility::Public);
    t.title = " ".into();
    assert_refused(s.create_artifact(t).await, "title");
    s.create_artifact(art("priv-1", &r.id, &a.id, Visibility::Private))
        .await
        .unwrap();
    s.create_artifact(art("unl-1", &r.id, &a.id, Visibility::Unlisted))
        .await
        .unwrap();
    assert!(s.get_artifact("priv-1", Some(&a.id)).await.is_ok());
    assert!(
        s.get_artifact("unl-1", None).await.is_ok(),
        "unlisted: reachable by slug"
    );
    for v in [None, Some(b.id.as_str())] {
        assert_eq!(
            cat(&s.get_artifact("priv-1", v).await.unwrap_err()),
            ErrorCategory::NotFound
        );
        assert_eq!(
            cat(&s.get_artifact_body("priv-1", v).await.unwrap_err()),
            ErrorCategory::NotFound
        );
    }
    let mine = s
        .list_user_artifacts(&a.id, Some(&a.id), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 3);
    let theirs = s
        .list_user_artifacts(&a.id, Some(&b.id), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(slugs(&theirs.items, |x| &x.slug), vec!["pub-1"]);
    assert_eq!(
        cat(&s.record_artifact_view("nope").await.unwrap_err()),
        ErrorCategory::NotFound
    );
}

async fn credits_ledger(s: Arc<dyn Store>) {
    let a = account(&s, "a", 0).await;
    assert!(s
        .list_ledger(&a.id, &PageRequest::first(5))
        .await
        .unwrap()
        .items
        .is_empty());
    let g = s
        .grant_credits(
            &a.id,
            10,
            CreditMemo {
                reason: "grant".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((g.seq, g.delta, g.balance_after), (1, 10, 10));
    let memo = CreditMemo {
        reason: "run".into(),
        run_id: Some("r1".into()),
        model_slug: Some("m".into()),
    };
    let c = s.charge_credits(&a.id, 3, memo.clone()).await.unwrap();
    assert_eq!((c.seq, c.delta, c.balance_after), (2, -3, 7));
    assert_eq!(
        (c.run_id.as_deref(), c.model_slug.as_deref()),
        (Some("r1"), Some("m"))
    );
    let e = s.charge_credits(&a.id, 8, memo.clone()).await.unwrap_err();
    assert_eq!(cat(&e), ErrorCategory::PaymentRequired);
    assert_eq!(
        s.get_account(&a.id).await.unwrap().credits,
        7,
        "a refused charge writes nothing"
    );
    s.charge_credits(&a.id, 7, memo.clone()).await.unwrap();
    assert_eq!(s.get_account(&a.id).await.unwrap().credits, 0);
    let l = s.list_ledger(&a.id, &PageRequest::first(2)).await.unwrap();
    assert_eq!(
        l.items.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 2]
    );
    let l2 = s
        .list_ledger(&a.id, &after(2, l.next_cursor))
        .await
        .unwrap();
    assert_eq!(l2.items.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    assert!(l2.next_cursor.is_none());
    assert_eq!(
        s.user_usage(&a.id, day_of(now_ms()))
            .await
            .unwrap()
            .credits_spent,
        10
    );
    for bad in [0, -5] {
        assert_refused(s.charge_credits(&a.id, bad, memo.clone()).await, "amount");
    }
    let bad_reason = CreditMemo {
        reason: "Bad Reason".into(),
        ..Default::default()
    };
    assert_refused(s.grant_credits(&a.id, 1, bad_reason).await, "reason");
    assert_eq!(
        cat(&s.grant_credits("ghost", 1, memo).await.unwrap_err()),
        ErrorCategory::NotFound
    );
}

async fn quotas(s: Arc<dyn Store>) {
    for i in 1..=3 {
        let q = s.hit_quota("runs:u1:day", 3, 86_400).await.unwrap();
        assert_eq!((q.used, q.limit), (i, 3));
        assert!(q.resets_at > now_ms());
    }
    match s.hit_quota("runs:u1:day", 3, 86_400).await.unwrap_err() {
        StoreError::RateLimited {
            retry_after_secs,
            message,
        } => {
            assert!(
                (1..=86_400).contains(&retry_after_secs),
                "{retry_after_secs}"
            );
            assert!(message.contains("runs:u1:day"), "{message}");
        }
        e => panic!("expected RateLimited, got {e:?}"),
    }
    assert_eq!(
        s.quota_used("runs:u1:day", 86_400).await.unwrap(),
        3,
        "a refused hit is not counted"
    );
    assert_eq!(s.hit_quota("runs:u2:day", 3, 86_400).await.unwrap().used, 1);
    assert_eq!(s.quota_used("never", 60).await.unwrap(), 0);
    assert_refused(s.hit_quota("k", 0, 60).await, "limit");
    assert_refused(s.hit_quota("k", 1, 0).await, "window_secs");

    // A gate, then a second counter: the second one full leaves the gate's hit counted;
    // the gate full counts nothing.
    let gate = QuotaHit {
        key: "gate",
        limit: 3,
        window_secs: 86_400,
    };
    let day = QuotaHit {
        key: "then",
        limit: 1,
        window_secs: 86_400,
    };
    let first = s.hit_quota_then(gate, day).await.unwrap();
    assert_eq!(first.map(|q| (q.used, q.limit)), Some((1, 1)));
    assert_eq!(s.hit_quota_then(gate, day).await.unwrap(), None);
    assert_eq!(s.quota_used("gate", 86_400).await.unwrap(), 2);
    assert_eq!(s.quota_used("then", 86_400).await.unwrap(), 1);
    assert_eq!(s.hit_quota_then(gate, day).await.unwrap(), None);
    assert_eq!(
        cat(&s.hit_quota_then(gate, day).await.unwrap_err()),
        ErrorCategory::RateLimited
    );
    assert_eq!(s.quota_used("gate", 86_400).await.unwrap(), 3);
    assert_eq!(s.quota_used("then", 86_400).await.unwrap(), 1);
    let bad = QuotaHit { limit: 0, ..day };
    assert_refused(s.hit_quota_then(gate, bad).await, "limit");
    // Concurrent hits never exceed the limit.
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.hit_quota("burst", 5, 3600).await.is_ok()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap() as usize;
    }
    assert_eq!(ok, 5);
}

async fn cache_and_blobs(s: Arc<dyn Store>) {
    assert_eq!(s.cache_get("fred:DGS10:2020").await.unwrap(), None);
    s.cache_put("fred:DGS10:2020", b"1,2,3", 60).await.unwrap();
    assert_eq!(
        s.cache_get("fred:DGS10:2020").await.unwrap(),
        Some(b"1,2,3".to_vec())
    );
    s.cache_put("fred:DGS10:2020", b"4,5", 60).await.unwrap();
    assert_eq!(
        s.cache_get("fred:DGS10:2020").await.unwrap(),
        Some(b"4,5".to_vec()),
        "put replaces"
    );
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    s.cache_put("big", &big, 60).await.unwrap();
    assert_eq!(s.cache_get("big").await.unwrap(), Some(big.clone()));
    s.cache_put("short", b"x", 1).await.unwrap();
    assert!(s.cache_get("short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        s.cache_get("short").await.unwrap(),
        None,
        "expiry is checked on read"
    );
    assert_refused(s.cache_put("k", b"x", 0).await, "ttl_secs");
    assert_refused(s.cache_get("has space").await, "cache key");

    s.put_blob("datasets/u1/prices.csv", b"date,close\n")
        .await
        .unwrap();
    assert_eq!(
        s.get_blob("datasets/u1/prices.csv").await.unwrap(),
        b"date,close\n".to_vec()
    );
    assert_eq!(
        cat(&s.get_blob("datasets/u1/none.csv").await.unwrap_err()),
        ErrorCategory::NotFound
    );
    assert_eq!(
        cat(&s.put_blob("../escape", b"x").await.unwrap_err()),
        ErrorCategory::Invalid
    );
    s.ping().await.unwrap();
}

/// For every read and list, an outsider never sees another user's private model, run or
/// artifact; unlisted models are reachable by slug but never listed.
async fn visibility_isolation(s: Arc<dyn Store>) {
    let owner = account(&s, "owner", 0).await;
    let outsider = account(&s, "outsider", 0).await;
    model(&s, "priv", &owner.id, Visibility::Private).await;
    model(&s, "unl", &owner.id, Visibility::Unlisted).await;
    let r = run(&s, &owner.id, "priv").await;
    s.create_artifact(NewArtifact {
        slug: "priv-art".into(),
        owner_id: owner.id.clone(),
        run_id: r.id.clone(),
        title: "t".into(),
        summary: String::new(),
        visibility: Visibility::Private,
        body: b"{}".to_vec(),
    })
    .await
    .unwrap();
    let nf = |r: std::result::Result<(), StoreError>, what: &str| {
        let e = r.expect_err(what);
        assert_eq!(e.category(), ErrorCategory::NotFound, "{what}: {e}");
    };
    for v in [None, Some(outsider.id.as_str())] {
        nf(s.get_model("priv", v).await.map(|_| ()), "get_model");
        nf(
            s.get_version("priv", None, v).await.map(|_| ()),
            "get_version",
        );
        nf(
            s.list_versions("priv", v).await.map(|_| ()),
            "list_versions",
        );
        nf(
            s.rating_summary("priv", v).await.map(|_| ()),
            "rating_summary",
        );
        nf(
            s.get_artifact("priv-art", v).await.map(|_| ()),
            "get_artifact",
        );
        nf(
            s.get_artifact_body("priv-art", v).await.map(|_| ()),
            "get_artifact_body",
        );
        assert!(
            s.get_model("unl", v).await.is_ok(),
            "unlisted reachable by slug"
        );
    }
    nf(
        s.list_ratings("priv", &PageRequest::first(5))
            .await
            .map(|_| ()),
        "list_ratings",
    );
    nf(s.get_run(&r.id, &outsider.id).await.map(|_| ()), "get_run");
    nf(
        s.get_run_output(&r.id, &outsider.id).await.map(|_| ()),
        "get_run_output",
    );
    nf(
        s.save_model(&outsider.id, "priv").await.map(|_| ()),
        "save_model",
    );
    nf(
        s.rate_model(&outsider.id, "priv", 5, None)
            .await
            .map(|_| ()),
        "rate_model",
    );
    nf(
        s.add_version(
            "priv",
            &outsider.id,
            NewVersion {
                dsl: dsl(),
                input_schema: Default::default(),
                changelog: String::new(),
            },
        )
        .await
        .map(|_| ()),
        "add_version",
    );
    let listed: HashSet<String> = s
        .list_public_models(&ModelQuery::default(), &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.slug)
        .collect();
    assert!(
        !listed.contains("priv") && !listed.contains("unl"),
        "{listed:?}"
    );
    let theirs = s
        .list_user_models(&owner.id, Some(&outsider.id), &PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        theirs.items.is_empty(),
        "outsider sees neither private nor unlisted models of a user"
    );
    assert!(s
        .list_user_runs(&outsider.id, &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(s
        .list_user_artifacts(&owner.id, None, &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
}

/// 50 concurrent charges of 1 against 10 credits: exactly 10 succeed and the ledger sums
/// to the balance.
async fn concurrent_charges(s: Arc<dyn Store>) {
    let a = account(&s, "rich", 10).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (s, u) = (s.clone(), a.id.clone());
        tasks.push(tokio::spawn(async move {
            s.charge_credits(
                &u,
                1,
                CreditMemo {
                    reason: "run".into(),
                    run_id: Some(format!("r{i}")),
                    model_slug: None,
                },
            )
            .await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::PaymentRequired(_)) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((ok, refused), (10, 40));
    let acct = s.get_account(&a.id).await.unwrap();
    assert_eq!(acct.credits, 0);
    let ledger = s
        .list_ledger(&a.id, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(ledger.len(), 11);
    assert_eq!(ledger.iter().map(|e| e.delta).sum::<i64>(), acct.credits);
    let seqs: Vec<u64> = ledger.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=11).rev().collect::<Vec<_>>(), "gapless sequence");
    for w in ledger.windows(2) {
        assert_eq!(
            w[1].balance_after + w[0].delta,
            w[0].balance_after,
            "balances chain"
        );
    }
}

/// 20 concurrent ratings from 20 users, then 20 concurrent re-ratings by one user: the
/// count and average are exact.
async fn concurrent_ratings(s: Arc<dyn Store>) {
    let owner = account(&s, "owner", 0).await;
    model(&s, "rated", &owner.id, Visibility::Public).await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(account(&s, &format!("u{i}"), 0).await.id);
    }
    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let (s, u) = (s.clone(), u.clone());
        tasks.push(tokio::spawn(async move {
            s.rate_model(&u, "rated", (i % 5 + 1) as u8, None).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let m = s.get_model("rated", None).await.unwrap();
    assert_eq!((m.stats.rating_count, m.stats.rating_sum), (20, 60));
    assert_eq!(m.stats.rating_average(), Some(3.0));
    // One user re-rates 20 times at once; whichever write lands last is their rating.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (s, u) = (s.clone(), users[0].clone());
        tasks.push(tokio::spawn(async move {
            s.rate_model(&u, "rated", (i % 5 + 1) as u8, None).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mine = s
        .rating_summary("rated", Some(&users[0]))
        .await
        .unwrap()
        .mine
        .unwrap()
        .stars as u64;
    let m = s.get_model("rated", None).await.unwrap();
    assert_eq!(m.stats.rating_count, 20);
    assert_eq!(
        m.stats.rating_sum,
        60 - 1 + mine,
        "user 0 first gave 1 star, now {mine}"
    );
    let listed: u64 = s
        .list_ratings("rated", &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .iter()
        .map(|r| r.stars as u64)
        .sum();
    assert_eq!(
        listed, m.stats.rating_sum,
        "aggregate equals the ratings themselves"
    );
}
