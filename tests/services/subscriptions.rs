//! Subscriptions over time, with the injected clock: a year of daily billing runs, modify,
//! stop and duplicate, an outage and its catch-up, runs twice and at once. Whatever
//! happens: one invoice per subscription and period, numbers gapless and chronological.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;
use encaisse::{
    domain::{
        draft::{Draft, DraftInput},
        invoice::LineInput,
    },
    models::_entities::{clients, invoices, subscriptions},
    services::{bill_subscriptions, invoices as docs, issue_invoice, subscriptions as subs},
};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::support::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Moves the application clock to 05:00 (Paris) on `day` — the hour of the billing cron.
fn move_to(ctx: &AppContext, day: NaiveDate) {
    let clock = encaisse::clock::of(ctx);
    let target = Paris
        .from_local_datetime(&day.and_hms_opt(5, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let now = clock.now().with_timezone(&chrono::Utc);
    assert!(
        target >= now,
        "the clock only moves forward ({now} -> {target})"
    );
    clock.advance(target - now);
    assert_eq!(paris_today(ctx), day);
}

/// Issues a monthly invoice today: the subscription it starts.
async fn subscribe(
    ctx: &AppContext,
    seller: &Seller,
    label: &str,
    price: &str,
) -> subscriptions::Model {
    let input = DraftInput {
        label: label.into(),
        client: seller.client_pid.clone(),
        recurrence: "monthly".into(),
        lines: vec![LineInput {
            description: "Maintenance et hébergement".into(),
            quantity: "1".into(),
            unit: "MON".into(),
            unit_price: price.into(),
            vat: "20".into(),
        }],
        ..Default::default()
    };
    let draft = Draft::parse(&input, paris_today(ctx), 30).unwrap();
    let (created, _) = docs::create_draft(ctx, seller.company_id, None, &draft, None)
        .await
        .unwrap();
    let issued = issue_invoice::issue(ctx, seller.company_id, None, &created.pid.to_string())
        .await
        .unwrap()
        .invoice;
    assert_eq!(issued.period_index, Some(0));
    subscriptions::Entity::find_by_id(issued.subscription_id.expect("a subscription"))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap()
}

async fn run(ctx: &AppContext) -> bill_subscriptions::RunReport {
    bill_subscriptions::run(ctx, paris_today(ctx), &mut |_| {})
        .await
        .unwrap()
}

async fn invoices_of(ctx: &AppContext, subscription_id: i64) -> Vec<invoices::Model> {
    invoices::Entity::find()
        .filter(invoices::Column::SubscriptionId.eq(subscription_id))
        .order_by_asc(invoices::Column::PeriodIndex)
        .all(&ctx.db)
        .await
        .unwrap()
}

/// Every invoice of the company: numbers 1..n without gap, issue dates never going back,
/// and one invoice per subscription and period (periods 0..n contiguous).
async fn assert_books_are_sound(ctx: &AppContext, company_id: i64) {
    let all = invoices::Entity::find()
        .filter(invoices::Column::CompanyId.eq(company_id))
        .filter(invoices::Column::Kind.eq("invoice"))
        .order_by_asc(invoices::Column::SeriesYear)
        .order_by_asc(invoices::Column::Sequence)
        .all(&ctx.db)
        .await
        .unwrap();
    let mut expected = (0, 0);
    for invoice in &all {
        let year = invoice.series_year.unwrap();
        if year != expected.0 {
            expected = (year, 1);
        }
        assert_eq!(invoice.sequence, Some(expected.1), "gapless in {year}");
        expected.1 += 1;
    }
    for pair in all.windows(2) {
        if pair[0].series_year == pair[1].series_year {
            assert!(pair[0].issue_date <= pair[1].issue_date, "chronological");
        }
    }
    let mut by_subscription = std::collections::BTreeMap::<i64, Vec<&invoices::Model>>::new();
    for invoice in all.iter().filter(|i| i.subscription_id.is_some()) {
        by_subscription
            .entry(invoice.subscription_id.unwrap())
            .or_default()
            .push(invoice);
    }
    for (subscription, mut list) in by_subscription {
        list.sort_by_key(|i| i.period_index);
        for (index, invoice) in list.iter().enumerate() {
            assert_eq!(
                invoice.period_index,
                Some(i32::try_from(index).unwrap()),
                "subscription {subscription}: one invoice per period, none skipped"
            );
        }
        for pair in list.windows(2) {
            assert_eq!(
                pair[0].period_end.unwrap().succ_opt(),
                pair[1].period_start,
                "periods follow each other"
            );
        }
    }
}

#[tokio::test]
async fn a_year_of_billing_for_every_day_of_month() {
    let app = boot().await;
    let ctx = app.ctx();
    let seller = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    let mut started = Vec::new();
    for day in [
        "2026-12-01",
        "2026-12-15",
        "2026-12-29",
        "2026-12-30",
        "2026-12-31",
    ] {
        move_to(ctx, d(day));
        run(ctx).await;
        started.push((
            day,
            subscribe(ctx, &seller, &format!("Abonnement du {day}"), "99,90").await,
        ));
    }
    let mut day = d("2026-12-31");
    while day < d("2027-12-31") {
        day = day.succ_opt().unwrap();
        move_to(ctx, day);
        let report = run(ctx).await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
    }

    let expected_starts: &[(&str, &[&str])] = &[
        (
            "2026-12-01",
            &["2026-12-01", "2027-01-01", "2027-02-01", "2027-12-01"],
        ),
        ("2026-12-15", &["2026-12-15", "2027-02-15", "2027-12-15"]),
        (
            "2026-12-29",
            &[
                "2026-12-29",
                "2027-01-29",
                "2027-02-28",
                "2027-03-29",
                "2027-12-29",
            ],
        ),
        (
            "2026-12-30",
            &[
                "2026-12-30",
                "2027-02-28",
                "2027-03-30",
                "2027-04-30",
                "2027-12-30",
            ],
        ),
        (
            "2026-12-31",
            &[
                "2026-12-31",
                "2027-01-31",
                "2027-02-28",
                "2027-03-31",
                "2027-04-30",
                "2027-06-30",
                "2027-12-31",
            ],
        ),
    ];
    for (start, subscription) in &started {
        let issued = invoices_of(ctx, subscription.id).await;
        // Start + 12 months, all billed by 31 Dec 2027.
        assert_eq!(issued.len(), 13, "{start}");
        let starts: Vec<NaiveDate> = issued.iter().map(|i| i.period_start.unwrap()).collect();
        let (_, expected) = expected_starts.iter().find(|(s, _)| s == start).unwrap();
        for date in *expected {
            assert!(
                starts.contains(&d(date)),
                "{start}: no period from {date}: {starts:?}"
            );
        }
        // Each invoice is issued on its period's first day (the run of that day).
        for invoice in &issued {
            assert_eq!(Some(invoice.issue_date), invoice.period_start, "{start}");
            assert_eq!(invoice.total_cents, 11_988);
            assert_eq!(invoice.status, "issued");
        }
        let after = subscriptions::Entity::find_by_id(subscription.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.next_period, 13);
        assert!(
            after.next_billing_date.unwrap() > d("2027-12-31")
                || *start == "2026-12-31" && after.next_billing_date == Some(d("2028-01-31"))
        );
    }
    // 31 Jan 2027 -> 28 Feb -> 31 Mar: the anchor day is kept.
    let (_, last_day) = &started[4];
    let periods: Vec<(NaiveDate, NaiveDate)> = invoices_of(ctx, last_day.id)
        .await
        .iter()
        .map(|i| (i.period_start.unwrap(), i.period_end.unwrap()))
        .collect();
    assert_eq!(periods[1], (d("2027-01-31"), d("2027-02-27")));
    assert_eq!(periods[2], (d("2027-02-28"), d("2027-03-30")));
    assert_eq!(periods[3], (d("2027-03-31"), d("2027-04-29")));
    assert_books_are_sound(ctx, seller.company_id).await;
}

#[tokio::test]
async fn modify_stop_and_duplicate_mid_year() {
    let app = boot().await;
    let ctx = app.ctx();
    let seller = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    move_to(ctx, d("2026-12-01"));
    let subscription = subscribe(ctx, &seller, "Maintenance", "100").await;
    let pid = subscription.pid.to_string();
    let mut day = d("2026-12-01");
    let mut until = |to: &'static str| {
        let to = d(to);
        let from = day;
        day = to;
        (from, to)
    };
    let advance = |ctx: &AppContext, (from, to): (NaiveDate, NaiveDate)| {
        let ctx = ctx.clone();
        async move {
            let mut day = from;
            while day < to {
                day = day.succ_opt().unwrap();
                move_to(&ctx, day);
                run(&ctx).await;
            }
        }
    };
    advance(ctx, until("2027-03-10")).await;

    // Modify on 10 March: the April invoice on will cost 120 €; March's stays at 100 €.
    let (_, mut content) = subs::current(&ctx.db, subscription.id).await.unwrap();
    content.lines[0].unit_price = rust_decimal::Decimal::new(120, 0);
    content.label = "Maintenance (nouveau tarif)".into();
    subs::modify(ctx, seller.company_id, None, &pid, &content)
        .await
        .unwrap();
    advance(ctx, until("2027-05-20")).await;

    // Stop from 15 June: the 1 June invoice is the last one.
    subs::stop(
        ctx,
        seller.company_id,
        None,
        std::slice::from_ref(&pid),
        d("2027-06-15"),
    )
    .await
    .unwrap();
    // Not before today, and not twice once stopped.
    assert!(matches!(
        subs::stop(
            ctx,
            seller.company_id,
            None,
            std::slice::from_ref(&pid),
            d("2027-05-01")
        )
        .await,
        Err(encaisse::services::ServiceError::Refused("stop-date-past"))
    ));
    advance(ctx, until("2027-08-01")).await;
    let issued = invoices_of(ctx, subscription.id).await;
    let totals: Vec<(NaiveDate, i64, String)> = issued
        .iter()
        .map(|i| (i.issue_date, i.total_cents, i.label.clone()))
        .collect();
    assert_eq!(issued.len(), 7, "Dec to June: {totals:?}");
    assert_eq!(issued[3].issue_date, d("2027-03-01"));
    assert_eq!(
        issued[3].total_cents, 12_000,
        "March was issued before the change"
    );
    assert_eq!(issued[4].issue_date, d("2027-04-01"));
    assert_eq!(issued[4].total_cents, 14_400);
    assert_eq!(issued[4].label, "Maintenance (nouveau tarif)");
    assert_eq!(issued[6].issue_date, d("2027-06-01"));
    let stopped = subs::find(&ctx.db, seller.company_id, &pid).await.unwrap();
    assert_eq!(stopped.next_billing_date, None);
    assert!(matches!(
        subs::modify(ctx, seller.company_id, None, &pid, &content).await,
        Err(encaisse::services::ServiceError::Refused(
            "subscription-stopped"
        ))
    ));

    // Duplicate on 1 August, starting today: resumed, its first invoice issued at once
    // with the latest content.
    let copies = subs::duplicate(
        ctx,
        seller.company_id,
        None,
        std::slice::from_ref(&pid),
        d("2027-08-01"),
        Some("duplicate-form-1"),
    )
    .await
    .unwrap();
    assert!(!copies.replayed);
    let copy = &copies.created[0];
    // The same form submitted again creates nothing more.
    let again = subs::duplicate(
        ctx,
        seller.company_id,
        None,
        std::slice::from_ref(&pid),
        d("2027-08-01"),
        Some("duplicate-form-1"),
    )
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.created.len(), 1);
    assert_eq!(again.created[0].id, copy.id);
    assert_eq!(copy.duplicated_from_id, Some(subscription.id));
    let first = invoices_of(ctx, copy.id).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].total_cents, 14_400);
    assert_eq!(first[0].period_start, Some(d("2027-08-01")));
    assert_eq!(first[0].period_end, Some(d("2027-08-31")));
    // A duplicate starting later waits for its day.
    let later = subs::duplicate(
        ctx,
        seller.company_id,
        None,
        std::slice::from_ref(&pid),
        d("2027-08-20"),
        None,
    )
    .await
    .unwrap()
    .created;
    assert!(invoices_of(ctx, later[0].id).await.is_empty());
    assert!(matches!(
        subs::duplicate(
            ctx,
            seller.company_id,
            None,
            std::slice::from_ref(&pid),
            d("2027-07-31"),
            None
        )
        .await,
        Err(encaisse::services::ServiceError::Refused("start-date-past"))
    ));
    advance(ctx, until("2027-09-01")).await;
    assert_eq!(invoices_of(ctx, copy.id).await.len(), 2);
    assert_eq!(invoices_of(ctx, later[0].id).await.len(), 1);
    assert_eq!(
        invoices_of(ctx, subscription.id).await.len(),
        7,
        "the stopped one stays stopped"
    );
    assert_books_are_sound(ctx, seller.company_id).await;
}

#[tokio::test]
async fn a_ten_day_outage_is_caught_up_in_period_order() {
    let app = boot().await;
    let ctx = app.ctx();
    let seller = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    move_to(ctx, d("2026-12-05"));
    let fifth = subscribe(ctx, &seller, "Du 5", "50").await;
    move_to(ctx, d("2026-12-08"));
    let eighth = subscribe(ctx, &seller, "Du 8", "80").await;
    move_to(ctx, d("2027-01-03"));
    run(ctx).await;
    // Down from 4 to 13 January: both billing dates (5th and 8th) missed.
    move_to(ctx, d("2027-01-14"));
    let report = run(ctx).await;
    assert_eq!(report.invoices, 2);
    for (subscription, start) in [(&fifth, "2027-01-05"), (&eighth, "2027-01-08")] {
        let issued = invoices_of(ctx, subscription.id).await;
        assert_eq!(issued.len(), 2);
        // Dated the day it is issued, billing the period missed.
        assert_eq!(issued[1].issue_date, d("2027-01-14"));
        assert_eq!(issued[1].period_start, Some(d(start)));
    }
    // The missed period numbered before the other subscription's later one.
    let first_missed = &invoices_of(ctx, fifth.id).await[1];
    let second_missed = &invoices_of(ctx, eighth.id).await[1];
    assert!(first_missed.sequence < second_missed.sequence);

    // Three months down: every period billed, each its own invoice, in period order.
    move_to(ctx, d("2027-04-20"));
    let report = run(ctx).await;
    assert_eq!(report.invoices, 6);
    let issued = invoices_of(ctx, fifth.id).await;
    let periods: Vec<NaiveDate> = issued.iter().map(|i| i.period_start.unwrap()).collect();
    assert_eq!(
        periods,
        vec![
            d("2026-12-05"),
            d("2027-01-05"),
            d("2027-02-05"),
            d("2027-03-05"),
            d("2027-04-05")
        ]
    );
    assert!(issued
        .windows(2)
        .all(|w| (w[0].series_year, w[0].sequence) < (w[1].series_year, w[1].sequence)));
    assert_books_are_sound(ctx, seller.company_id).await;
}

#[tokio::test]
async fn runs_twice_or_at_once_issue_one_invoice_per_period() {
    let app = boot().await;
    let ctx = app.ctx();
    let a = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    let b = seller(ctx, "Studio Sud", "bob@sud.fr").await;
    move_to(ctx, d("2026-12-10"));
    let mut all = Vec::new();
    for i in 0..6 {
        all.push(subscribe(ctx, &a, &format!("A{i}"), "10").await);
        all.push(subscribe(ctx, &b, &format!("B{i}"), "20").await);
    }
    move_to(ctx, d("2027-01-10"));
    // The same day twice: the second run finds nothing due.
    let first = run(ctx).await;
    assert_eq!(first.invoices, 12);
    let again = run(ctx).await;
    assert_eq!(again.invoices, 0);

    // Two runs at once (the cron in two worker processes), after a two-month gap.
    move_to(ctx, d("2027-03-10"));
    let today = paris_today(ctx);
    let mut quiet_one = |_: bill_subscriptions::Progress<'_>| {};
    let mut quiet_two = |_: bill_subscriptions::Progress<'_>| {};
    let (one, two) = tokio::join!(
        bill_subscriptions::run(ctx, today, &mut quiet_one),
        bill_subscriptions::run(ctx, today, &mut quiet_two),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(
        one.failures.is_empty() && two.failures.is_empty(),
        "{:?} {:?}",
        one.failures,
        two.failures
    );
    assert_eq!(
        one.invoices + two.invoices,
        24,
        "two periods of 12 subscriptions, once"
    );
    for subscription in &all {
        assert_eq!(invoices_of(ctx, subscription.id).await.len(), 4);
    }
    assert_books_are_sound(ctx, a.company_id).await;
    assert_books_are_sound(ctx, b.company_id).await;

    // And the database itself refuses a second invoice of a period.
    let twin = invoices_of(ctx, all[0].id).await.remove(1);
    let mut copy: invoices::ActiveModel = twin.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.pid = Set(uuid::Uuid::new_v4());
    copy.number = Set(Some("F-DOUBLON".into()));
    copy.sequence = Set(Some(9999));
    copy.status = Set("draft".into());
    assert!(copy.insert(&ctx.db).await.is_err());
}

#[tokio::test]
async fn one_failing_subscription_does_not_stop_the_others() {
    let app = boot().await;
    let ctx = app.ctx();
    let seller = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    move_to(ctx, d("2026-12-10"));
    let healthy = subscribe(ctx, &seller, "Sain", "10").await;
    let other_client =
        invoiceable_client(ctx, seller.company_id, "Café du Port", "cafe@port.fr").await;
    let broken = subscribe(
        ctx,
        &Seller {
            company_id: seller.company_id,
            client_pid: other_client.pid.to_string(),
        },
        "Client parti",
        "10",
    )
    .await;
    // The client is deactivated: its subscription cannot be billed.
    let mut client: clients::ActiveModel = other_client.into();
    client.active = Set(false);
    client.update(&ctx.db).await.unwrap();

    move_to(ctx, d("2027-01-10"));
    let report = run(ctx).await;
    assert_eq!(report.invoices, 1);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].subscription_pid, Some(broken.pid));
    assert_eq!(report.failures[0].reason, "client-unknown");
    assert_eq!(invoices_of(ctx, healthy.id).await.len(), 2);
    let marked = subscriptions::Entity::find_by_id(broken.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marked.last_error.as_deref(), Some("client-unknown"));
    assert_eq!(marked.next_period, 1, "retried by the next run");
    let history = subs::history(ctx, broken.id).await.unwrap();
    assert!(history.iter().any(|(e, _)| e.kind == "billing_failed"));
    // Reported to the seller: counted on the dashboard, listed under "En échec".
    let (_, failed) = subs::counts(ctx, seller.company_id).await.unwrap();
    assert_eq!(failed, 1);
    let failed_filter = subs::Filter {
        state: Some("failed".into()),
        ..Default::default()
    };
    let (rows, _) = subs::list(ctx, seller.company_id, &failed_filter, paris_today(ctx))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].subscription.id, broken.id);

    // Reactivated: the next run catches up and clears the mark.
    let client = clients::Entity::find_by_id(broken.client_id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let mut client: clients::ActiveModel = client.into();
    client.active = Set(true);
    client.update(&ctx.db).await.unwrap();
    move_to(ctx, d("2027-01-11"));
    let report = run(ctx).await;
    assert_eq!(report.invoices, 1);
    let cleared = subscriptions::Entity::find_by_id(broken.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.last_error, None);
    assert_eq!(subs::counts(ctx, seller.company_id).await.unwrap().1, 0);
    assert_eq!(
        invoices_of(ctx, broken.id).await[1].period_start,
        Some(d("2027-01-10"))
    );
}

#[tokio::test]
async fn the_cli_task_bills_a_given_day_and_refuses_the_future() {
    use encaisse::tasks::bill_subscriptions::BillSubscriptions;
    use loco_rs::task::{Task, Vars};
    let app = boot().await;
    let ctx = app.ctx();
    let seller = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    move_to(ctx, d("2026-12-10"));
    let subscription = subscribe(ctx, &seller, "Maintenance", "10").await;
    move_to(ctx, d("2027-01-12"));
    let vars = |date: &str| Vars::from_cli_args(vec![("date".to_string(), date.to_string())]);
    let future = BillSubscriptions.run(ctx, &vars("2027-01-13")).await;
    assert!(future.is_err(), "no invoice dated in the future");
    assert_eq!(invoices_of(ctx, subscription.id).await.len(), 1);
    BillSubscriptions
        .run(ctx, &vars("2027-01-10"))
        .await
        .unwrap();
    let issued = invoices_of(ctx, subscription.id).await;
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[1].issue_date, d("2027-01-10"));
    // Without a date: today, and nothing more is due.
    BillSubscriptions
        .run(ctx, &Vars::from_cli_args(vec![]))
        .await
        .unwrap();
    assert_eq!(invoices_of(ctx, subscription.id).await.len(), 2);
}
