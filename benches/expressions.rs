//! Template evaluation throughput: a typical outbound message and a
//! function-heavy expression, over a context shaped like a flow run's.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mhero::flow::expressions::{evaluate_template, parser, Environment, Object, Value};

fn context() -> Object {
    let mut contact = Object::with_default(
        Value::text("Ben Haggerty"),
        vec![
            ("name".into(), Value::text("Ben Haggerty")),
            ("first_name".into(), Value::text("Ben")),
            ("language".into(), Value::text("eng")),
            ("uuid".into(), Value::text("5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f")),
        ],
    );
    contact.insert("urn", Value::text("tel:+250788123123"));
    let mut fields = Object::new();
    fields.insert("facility", Value::text("Kibagabaga District Hospital"));
    fields.insert("cadre", Value::text("nurse"));
    fields.insert("training_due", Value::text("2018-05-02"));
    let mut ctx = Object::new();
    ctx.insert("contact", Value::Object(contact));
    ctx.insert("fields", Value::Object(fields));
    ctx
}

fn bench(c: &mut Criterion) {
    let ctx = context();
    let env = Environment::default();
    let mut group = c.benchmark_group("templates");
    group.throughput(Throughput::Elements(1));
    let message =
        "Hi @contact.name, your facility @fields.facility is due for training on @fields.training_due.";
    group.bench_function("message", |b| {
        b.iter(|| evaluate_template(black_box(message), &ctx, &env))
    });
    let heavy = "@(upper(word(contact.name, 0)) & \": \" & format_date(datetime_add(fields.training_due, 7, \"D\")) & \" \" & if(count(split(fields.facility, \" \")) > 2, title(lower(fields.cadre)), \"-\"))";
    group.bench_function("function_heavy", |b| {
        b.iter(|| evaluate_template(black_box(heavy), &ctx, &env))
    });
    // Templates reuse parses through a per-thread cache; this is the cost of a
    // first sight (lex + parse) of the function-heavy expression.
    let inner = &heavy[2..heavy.len() - 1];
    group.bench_function("parse_uncached", |b| b.iter(|| parser::parse(black_box(inner))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
