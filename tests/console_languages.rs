//! Every console page in French and Swahili as the browser asks
//! (`Accept-Language`), then in Portuguese as the account's own setting
//! asks over a Swahili browser, against `mhero serve` on SQLite and on
//! PostgreSQL: the page says it is in that language (`<html lang>`), its
//! heading is the translated one, numbers carry the language's thousands
//! separator and times the language's month names (an audit entry, a
//! health worker's message); each page checked
//! (screenshot named per language, axe-core).
//!
//! [`PAGES`] is the list to extend when a page lands.

mod common;
mod console_support;

use chrono::TimeZone;
use common::*;
use console_support::*;
use serde_json::json;

const ADMIN_PASSWORD: &str = "kilosa district office 2026";

/// A console page and its `<h1>` in French, Swahili and Portuguese.
struct Page {
    path: &'static str,
    name: &'static str,
    fr: &'static str,
    sw: &'static str,
    pt: &'static str,
}

/// Every page of the console; add a line when a page lands.
const PAGES: &[Page] = &[
    Page {
        path: "/",
        name: "home",
        fr: "Vue d'ensemble",
        sw: "Muhtasari",
        pt: "Visão geral",
    },
    Page {
        path: "/inbox",
        name: "inbox",
        fr: "Messages reçus",
        sw: "Kikasha",
        pt: "Caixa de entrada",
    },
    Page {
        path: "/send",
        name: "send",
        fr: "Envoyer un message",
        sw: "Tuma ujumbe",
        pt: "Enviar uma mensagem",
    },
    Page {
        path: "/sends",
        name: "sends",
        fr: "Envois",
        sw: "Utumaji",
        pt: "Envios",
    },
    Page {
        path: "/contacts",
        name: "contacts",
        fr: "Agents de santé",
        sw: "Wahudumu wa afya",
        pt: "Profissionais de saúde",
    },
    Page {
        path: "/contacts/import",
        name: "import",
        fr: "Importer des agents de santé",
        sw: "Ingiza wahudumu wa afya",
        pt: "Importar profissionais de saúde",
    },
    Page {
        path: "/groups",
        name: "groups",
        fr: "Groupes",
        sw: "Vikundi",
        pt: "Grupos",
    },
    Page {
        path: "/account",
        name: "account",
        fr: "Mon compte",
        sw: "Akaunti yangu",
        pt: "A minha conta",
    },
    Page {
        path: "/accounts",
        name: "accounts",
        fr: "Comptes",
        sw: "Akaunti",
        pt: "Contas",
    },
    Page {
        path: "/audit",
        name: "audit",
        fr: "Journal des actions",
        sw: "Kumbukumbu za vitendo",
        pt: "Registo de ações",
    },
    Page {
        path: "/password",
        name: "password",
        fr: "Changer votre mot de passe",
        sw: "Badilisha nenosiri lako",
        pt: "Mudar a sua palavra-passe",
    },
];

/// A language as the test checks it.
struct Lang {
    tag: &'static str,
    heading: fn(&Page) -> &'static str,
    /// 1,200 as the language writes it.
    twelve_hundred: &'static str,
    locale: chrono::Locale,
    /// Words of the menu, which only this language has.
    inbox: &'static str,
}

const FR: Lang = Lang {
    tag: "fr",
    heading: |p| p.fr,
    twelve_hundred: "1\u{202f}200",
    locale: chrono::Locale::fr_FR,
    inbox: "Messages reçus",
};
const SW: Lang = Lang {
    tag: "sw",
    heading: |p| p.sw,
    twelve_hundred: "1,200",
    locale: chrono::Locale::sw_TZ,
    inbox: "Kikasha",
};
const PT: Lang = Lang {
    tag: "pt",
    heading: |p| p.pt,
    twelve_hundred: "1\u{a0}200",
    locale: chrono::Locale::pt_PT,
    inbox: "Caixa de entrada",
};

/// An RFC 3339 time as the console writes it in `lang`.
fn local_time(rfc3339: &str, lang: &Lang) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    chrono_tz::Africa::Dar_es_Salaam
        .from_utc_datetime(&at.naive_utc())
        .format_localized("%-d %b %Y, %H:%M", lang.locale)
        .to_string()
}

/// The time of the newest of `list` (`/audit`, `/messages?direction=in`),
/// in its field `field`, as the console writes it in `lang`.
async fn newest_time(api: &Api, list: &str, field: &str, lang: &Lang) -> String {
    let sep = if list.contains('?') { '&' } else { '?' };
    let v = api.ok(&format!("{list}{sep}order=desc&limit=1")).await;
    local_time(v["results"][0][field].as_str().expect("a row"), lang)
}

/// Visit every page and check it is in `lang`; `label` names the
/// screenshots.
async fn every_page_in(b: &mut Browser, api: &Api, lang: &Lang, label: &str) {
    for page in PAGES {
        // A time the page shows, in the language's words.
        let shown_time = match page.path {
            "/audit" => Some(newest_time(api, "/audit", "at", lang).await),
            "/inbox" => Some(newest_time(api, "/messages?direction=in", "created_on", lang).await),
            _ => None,
        };
        b.visit(page.path).await;
        assert_eq!(b.path().await, page.path);
        assert_eq!(
            b.attr("html", "lang").await.as_deref(),
            Some(lang.tag),
            "{}",
            page.path
        );
        assert_eq!(b.text("h1").await, (lang.heading)(page), "{}", page.path);
        // textContent keeps the no-break spaces WebDriver's text would not.
        let text = b
            .execute("return document.body.textContent")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(text.contains(lang.inbox), "{}: the menu\n{text}", page.path);
        for english in ["Audit log", "My account", "Log out", "All times are in"] {
            assert!(
                !text.contains(english),
                "{}: {english:?} left in English",
                page.path
            );
        }
        if page.path == "/" {
            assert!(
                text.contains(lang.twelve_hundred),
                "1,200 as {} writes it: {:?}\n{text}",
                lang.tag,
                lang.twelve_hundred
            );
        }
        if let Some(t) = shown_time {
            assert!(text.contains(&t), "{}: the time {t:?}\n{text}", page.path);
        }
        b.check(&format!("{label}-{}", page.name)).await;
    }
}

on_both!(every_page_in_french_swahili_and_portuguese);
async fn every_page_in_french_swahili_and_portuguese(kind: Db) {
    let gw = Gateway::start(kind, "");
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    // 1,200 messages today, for the home page's counts.
    let urns: Vec<String> = (0..1200).map(|i| format!("+2557130{i:05}")).collect();
    let (s, v) = api
        .post(
            "/broadcasts",
            json!({"text": "Mafunzo ya chanjo kesho", "urns": urns, "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // A health worker's message nothing answers, for the inbox.
    let (s, m) = api
        .post(
            "/simulator/inbound",
            json!({"from": "+255712000201", "text": "Habari, tunahitaji chanjo"}),
        )
        .await;
    assert_eq!((s, m["handled_by"].as_str()), (201, Some("none")), "{m}");
    let send = v["uuid"].as_str().expect("uuid");
    api.wait_for(&format!("/broadcasts/{send}"), 120, |v| {
        v["progress"]["total"].as_i64() == Some(1200)
    })
    .await;

    let mut fr = Browser::start(&format!("console_languages_fr_{kind:?}"), &base, "fr-FR,fr").await;
    fr.first_login(&gw, ADMIN_PASSWORD).await;
    every_page_in(&mut fr, &api, &FR, "fr").await;
    drop(fr);

    let mut sw = Browser::start(&format!("console_languages_sw_{kind:?}"), &base, "sw-TZ,sw").await;
    sw.login("admin", ADMIN_PASSWORD).await;
    every_page_in(&mut sw, &api, &SW, "sw").await;

    // The account's language wins over the browser's.
    sw.visit("/account").await;
    sw.select("#f-language", "por").await;
    sw.click("form[action='/account/language'] button").await;
    every_page_in(&mut sw, &api, &PT, "pt-by-account").await;
}
