//! Sessions, passwords and API tokens that can be ended: browser sessions
//! live on the server, so logging out, changing or resetting a password,
//! deactivating or deleting an account ends them — copied cookies and
//! old tokens included — and reactivation revives none.

use reqwest::header::USER_AGENT;
use tt_tests::session::Browser;
use tt_tests::{TestApp, json, on_both_backends};

const PASSWORD: &str = "a-long-password";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A browser carrying someone else's copied session cookie.
fn with_cookie(app: &TestApp, cookie: &str) -> Browser {
    let b = Browser::new(&app.base);
    b.set_session_cookie(cookie);
    b
}

/// Whether a browser's session is signed in (its profile opens).
fn signed_in(b: &Browser) -> bool {
    let p = b.get("/profile");
    match p.status {
        200 => true,
        303 => {
            assert!(p.location().starts_with("/login"), "{}", p.location());
            false
        }
        other => panic!("GET /profile: {other}\n{}", p.body),
    }
}

on_both_backends!(
    logout_ends_a_copied_cookie,
    deactivation_ends_everything_and_reactivation_revives_nothing,
    password_change_ends_other_sessions_and_every_token,
    admin_reset_makes_the_user_choose_a_new_password,
    sessions_are_listed_and_ended_one_by_one,
    tokens_are_named_listed_expiring_and_revocable,
    every_api_read_gives_a_token_the_same_verdict,
);

fn logout_ends_a_copied_cookie(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let b = Browser::new(&app.base);
    b.sign_in("alice", PASSWORD);
    let copied = b.session_cookie().expect("cookie");
    assert!(
        signed_in(&with_cookie(app, &copied)),
        "the copy works before logout"
    );
    let token = b.token();
    let p = b.post("/logout", &[("csrf_token", &token)]);
    p.assert_redirect("/login");
    assert!(
        !signed_in(&with_cookie(app, &copied)),
        "a cookie copied before logout must not work after it"
    );
}

fn deactivation_ends_everything_and_reactivation_revives_nothing(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice_id = app.create_user("alice", PASSWORD, false).get();
    let b = Browser::new(&app.base);
    b.sign_in("alice", PASSWORD);
    let cookie = b.session_cookie().expect("cookie");
    let api = app.login("alice", PASSWORD);
    assert_eq!(api.get("/api/v1/me").0, 200);

    let path = format!("/api/v1/users/{alice_id}");
    for active in [false, true] {
        let (s, body) = admin.put(&path, &json!({"role": "user", "active": active}));
        assert_eq!(s, 200, "{body}");
    }

    assert!(!signed_in(&with_cookie(app, &cookie)), "old cookie revived");
    assert_eq!(api.get("/api/v1/me").0, 401, "old token revived");
    // The account itself works again with a new sign-in.
    assert_eq!(app.login("alice", PASSWORD).get("/api/v1/me").0, 200);
}

fn password_change_ends_other_sessions_and_every_token(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let here = Browser::new(&app.base);
    here.sign_in("alice", PASSWORD);
    let elsewhere = Browser::new(&app.base);
    elsewhere.sign_in("alice", PASSWORD);
    let api = app.login("alice", PASSWORD);

    // Wrong current password, mismatched confirmation, a weak new one:
    // refused with a reason, and nothing ends.
    let refused = |current: &str, new: &str, again: &str| {
        let p = here.submit_from(
            "/profile/password",
            "/profile/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirm", again),
            ],
        );
        assert_eq!(p.status, 422, "{}", p.body);
        p.body
    };
    assert!(
        refused(
            "not-my-password",
            "glacier-orbit-tandem",
            "glacier-orbit-tandem"
        )
        .contains("Current password: is not right")
    );
    assert!(
        refused(PASSWORD, "glacier-orbit-tandem", "glacier-orbit-tandemX").contains("do not match")
    );
    let weak = refused(PASSWORD, "password1234", "password1234");
    assert!(weak.contains("too easy to guess"), "{weak}");
    assert!(signed_in(&elsewhere));
    assert_eq!(api.get("/api/v1/me").0, 200);

    let p = here.submit_from(
        "/profile/password",
        "/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "glacier-orbit-tandem"),
            ("new_password_confirm", "glacier-orbit-tandem"),
        ],
    );
    p.assert_redirect("/profile");
    assert!(
        signed_in(&here),
        "the browser that changed it stays signed in"
    );
    assert!(
        !signed_in(&elsewhere),
        "another session survived a password change"
    );
    assert_eq!(
        api.get("/api/v1/me").0,
        401,
        "a token survived a password change"
    );
    assert_eq!(
        app.anonymous()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "alice", "password": PASSWORD})
            )
            .0,
        401
    );
    // Through the API: the same rules, and the token used ends too.
    let api = app.login("alice", "glacier-orbit-tandem");
    let (s, body) = api.post(
        "/api/v1/me/password",
        &json!({"current_password": "glacier-orbit-tandem", "new_password": "short"}),
    );
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let (s, _) = api.post(
        "/api/v1/me/password",
        &json!({"current_password": "glacier-orbit-tandem", "new_password": "velvet-harbor-quasar"}),
    );
    assert_eq!(s, 204);
    assert_eq!(api.get("/api/v1/me").0, 401);
    assert!(!signed_in(&here));
    assert_eq!(
        app.login("alice", "velvet-harbor-quasar")
            .get("/api/v1/me")
            .0,
        200
    );
}

fn admin_reset_makes_the_user_choose_a_new_password(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice_id = app.create_user("alice", PASSWORD, false).get();
    let b = Browser::new(&app.base);
    b.sign_in("alice", PASSWORD);
    let api = app.login("alice", PASSWORD);

    // A regular user may not reset anyone's password.
    let (s, _) = api.post(
        &format!("/api/v1/users/{alice_id}/password"),
        &json!({"password": "temporary-harbor-77"}),
    );
    assert_eq!(s, 403);
    let (s, body) = admin.post(
        &format!("/api/v1/users/{alice_id}/password"),
        &json!({"password": "temporary-harbor-77"}),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["must_change_password"], true);
    assert_eq!(api.get("/api/v1/me").0, 401, "reset must revoke tokens");
    assert!(!signed_in(&b), "reset must end sessions");

    // The temporary password signs in, but every page leads to the
    // password form, and the API gives no token until it is changed.
    let (s, body) = app.anonymous().post(
        "/api/v1/auth/login",
        &json!({"username": "alice", "password": "temporary-harbor-77"}),
    );
    assert_eq!(s, 403, "{body}");
    let b = Browser::new(&app.base);
    b.sign_in("alice", "temporary-harbor-77");
    for page in ["/", "/entries", "/profile"] {
        b.get(page).assert_redirect("/profile/password");
    }
    let form = b.page("/profile/password");
    assert!(form.body.contains("An administrator reset your password"));
    assert!(
        !form.body.contains("aria-label=\"Main\""),
        "no navigation that only leads back here"
    );
    let p = b.post(
        "/profile/password",
        &[
            ("csrf_token", &form.csrf()),
            ("current_password", "temporary-harbor-77"),
            ("new_password", "my-own-lighthouse-phrase"),
            ("new_password_confirm", "my-own-lighthouse-phrase"),
        ],
    );
    p.assert_redirect("/profile");
    assert_eq!(b.get("/entries").status, 200);
    assert_eq!(
        app.login("alice", "my-own-lighthouse-phrase")
            .get("/api/v1/me")
            .1["must_change_password"],
        false
    );
}

fn sessions_are_listed_and_ended_one_by_one(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    app.create_user("bob", PASSWORD, false);
    let firefox = Browser::new(&app.base);
    firefox.set_header(USER_AGENT, FIREFOX);
    firefox.sign_in("alice", PASSWORD);
    let other = Browser::new(&app.base);
    other.sign_in("alice", PASSWORD);
    let third = Browser::new(&app.base);
    third.sign_in("alice", PASSWORD);
    let bob = Browser::new(&app.base);
    bob.sign_in("bob", PASSWORD);

    let profile = firefox.page("/profile");
    assert!(
        profile.body.contains("Firefox on Linux"),
        "{}",
        profile.body
    );
    assert!(profile.body.contains("this browser"));
    let ids = session_ids(&profile.body);
    assert_eq!(ids.len(), 3, "{ids:?}");
    // The profile names browsers, never addresses.
    assert!(!profile.body.contains("127.0.0.1"));

    // Bob cannot end Alice's sessions, not even by guessing ids.
    for id in &ids {
        let p = bob.submit(&format!("/profile/sessions/{id}/end"), &[]);
        assert_eq!(p.status, 404);
    }
    assert!(signed_in(&other));

    // Alice ends one session by id (the one listed last = used least
    // recently is not guaranteed; pick the one that is not this browser).
    let mine = current_id(&profile.body);
    let victim = *ids.iter().find(|i| **i != mine).expect("another");
    firefox.submit_ok(&format!("/profile/sessions/{victim}/end"), &[]);
    let remaining = session_ids(&firefox.page("/profile").body);
    assert_eq!(remaining.len(), 2);
    assert!(!remaining.contains(&victim));

    // "Sign out all other sessions" leaves only this one.
    firefox.submit_ok("/profile/sessions/end-others", &[]);
    assert!(!signed_in(&other) && !signed_in(&third));
    assert_eq!(session_ids(&firefox.page("/profile").body), vec![mine]);
    assert!(signed_in(&bob), "another user's session was touched");

    // Ending this very session signs this browser out.
    let p = firefox.submit(&format!("/profile/sessions/{mine}/end"), &[]);
    p.assert_redirect("/login");
    assert!(!signed_in(&firefox));
}

/// The session ids in the profile's "sign out" forms.
fn session_ids(body: &str) -> Vec<i64> {
    body.split("/profile/sessions/")
        .skip(1)
        .filter_map(|rest| rest.split('/').next()?.parse().ok())
        .collect()
}

/// The id of the row marked "this browser".
fn current_id(body: &str) -> i64 {
    let at = body.find("this browser").expect("current session marked");
    session_ids(&body[at..])[0]
}

fn tokens_are_named_listed_expiring_and_revocable(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let bob = app.user("bob", false);
    // A sign-in through the API makes a token that expires in 30 days.
    let (s, login) = app.anonymous().post(
        "/api/v1/auth/login",
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_eq!(s, 200);
    let expires = chrono::DateTime::parse_from_rfc3339(login["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let days = (expires - chrono::Utc::now()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days} h");
    let mut alice = app.anonymous();
    alice.token = Some(login["token"].as_str().unwrap().to_owned());

    // Named tokens, with or without an end.
    let (s, made) = alice.post(
        "/api/v1/me/tokens",
        &json!({"name": "Backup script", "expires_in_days": 7}),
    );
    assert_eq!(s, 201, "{made}");
    assert!(made["token"].as_str().unwrap().starts_with("tt_"));
    let forever = alice.post_ok("/api/v1/me/tokens", &json!({"name": "Laptop"}), 201);
    assert!(forever["expires_at"].is_null());
    for (body, why) in [
        (json!({"name": "x", "expires_in_days": 0}), "zero days"),
        (
            json!({"name": "x", "expires_in_days": 3651}),
            "over ten years",
        ),
        (json!({"name": "  "}), "blank name"),
        (json!({"name": "bell\u{7}"}), "control character"),
    ] {
        assert_eq!(alice.post("/api/v1/me/tokens", &body).0, 422, "{why}");
    }

    let (_, list) = alice.get("/api/v1/me/tokens");
    let list = list.as_array().unwrap().clone();
    let names: Vec<&str> = list.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Laptop", "Backup script", "API sign-in"]);
    let current: Vec<bool> = list
        .iter()
        .map(|t| t["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [false, false, true]);
    assert!(
        list.iter()
            .all(|t| t.get("token").is_none() && t.get("token_hash").is_none())
    );
    // This token has been used (just now); the others not yet.
    assert!(!list[2]["last_used_at"].is_null());
    assert!(list[0]["last_used_at"].is_null());

    // Last use is written at most once a minute, not on every request.
    let mut conn = app.conn();
    let last_used = |conn: &mut tt_persistence::DbConnection| {
        tt_persistence::users::list_tokens(
            conn,
            tt_domain::UserId::new(list_owner(&alice)).unwrap(),
        )
        .unwrap()
        .into_iter()
        .find(|t| t.id == list[2]["id"].as_i64().unwrap())
        .unwrap()
        .last_used_at
    };
    let first = last_used(&mut conn);
    for _ in 0..5 {
        assert_eq!(alice.get("/api/v1/me").0, 200);
    }
    assert_eq!(last_used(&mut conn), first);

    // The profile makes tokens too: shown once, in an answer never cached.
    let b = Browser::new(&app.base);
    b.sign_in("alice", PASSWORD);
    let made_here = b.submit_from(
        "/profile",
        "/profile/tokens",
        &[("name", "Phone"), ("expires_in_days", "")],
    );
    assert_eq!(made_here.status, 200, "{}", made_here.body);
    assert_eq!(made_here.header("cache-control"), "no-store");
    let marker = "id=\"new-token\" type=\"text\" value=\"";
    let at = made_here.body.find(marker).expect("token shown") + marker.len();
    let shown = &made_here.body[at..at + made_here.body[at..].find('"').unwrap()];
    let mut phone = app.anonymous();
    phone.token = Some(shown.to_owned());
    assert_eq!(phone.get("/api/v1/me").0, 200);
    assert!(!b.page("/profile").body.contains(shown), "shown only once");
    b.get("/profile/tokens")
        .assert_redirect("/profile#tokens-h");
    let bad = b.submit_from(
        "/profile",
        "/profile/tokens",
        &[("name", "x"), ("expires_in_days", "soon")],
    );
    assert_eq!(bad.status, 422);
    // A token can revoke itself.
    let (_, mine) = phone.get("/api/v1/me/tokens");
    let own = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["current"] == true)
        .expect("current token")["id"]
        .clone();
    assert_eq!(phone.delete(&format!("/api/v1/me/tokens/{own}")).0, 204);
    assert_eq!(phone.get("/api/v1/me").0, 401);

    // Bob cannot revoke Alice's tokens; Alice revokes one by id.
    let laptop = list[0]["id"].as_i64().unwrap();
    assert_eq!(bob.delete(&format!("/api/v1/me/tokens/{laptop}")).0, 404);
    let mut laptop_client = app.anonymous();
    laptop_client.token = Some(forever["token"].as_str().unwrap().to_owned());
    assert_eq!(laptop_client.get("/api/v1/me").0, 200);
    assert_eq!(alice.delete(&format!("/api/v1/me/tokens/{laptop}")).0, 204);
    assert_eq!(laptop_client.get("/api/v1/me").0, 401);
    assert_eq!(alice.delete(&format!("/api/v1/me/tokens/{laptop}")).0, 404);

    // An expired token is refused.
    let mut script = app.anonymous();
    script.token = Some(made["token"].as_str().unwrap().to_owned());
    assert_eq!(script.get("/api/v1/me").0, 200);
    expire_token(app, made["id"].as_i64().unwrap());
    assert_eq!(script.get("/api/v1/me").0, 401);
    let (_, list) = alice.get("/api/v1/me/tokens");
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "expired tokens are not listed"
    );
}

/// The timer and the entry list look up the token in the same read as
/// their action (`ApiToken`); `/api/v1/me` takes the user first
/// (`ApiUser`). Every token gets the same answer from all three, the token
/// is checked before the query, and its use is recorded by either.
fn every_api_read_gives_a_token_the_same_verdict(app: &TestApp) {
    const READS: [&str; 3] = [
        "/api/v1/me",
        "/api/v1/timer",
        "/api/v1/time-entries?limit=20",
    ];
    let admin = app.user("boss", true);
    let alice_id = app.create_user("alice", PASSWORD, false).get();
    let verdicts =
        |api: &tt_tests::Api| -> Vec<u16> { READS.iter().map(|path| api.get(path).0).collect() };
    assert_eq!(verdicts(&app.anonymous()), [401; 3], "no token");
    let mut forged = app.anonymous();
    forged.token = Some("tt_not-a-token".into());
    assert_eq!(verdicts(&forged), [401; 3], "an unknown token");
    // Checked before the query: a bad limit, or a query that does not
    // parse, with a bad token is a 401.
    assert_eq!(forged.get("/api/v1/time-entries?limit=0").0, 401);
    assert_eq!(forged.get("/api/v1/time-entries?limit=abc").0, 401);

    let alice = app.login("alice", PASSWORD);
    let made = alice.post_ok("/api/v1/me/tokens", &json!({"name": "Script"}), 201);
    let mut script = app.anonymous();
    script.token = Some(made["token"].as_str().unwrap().to_owned());
    let last_used = || {
        let (_, list) = alice.get("/api/v1/me/tokens");
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == made["id"])
            .unwrap()["last_used_at"]
            .clone()
    };
    assert!(last_used().is_null());
    // The timer's read records the token's first use like any other read.
    assert_eq!(script.get("/api/v1/timer").0, 200);
    assert!(!last_used().is_null(), "the use is recorded");
    assert_eq!(verdicts(&script), [200; 3]);
    assert_eq!(script.get("/api/v1/time-entries?limit=0").0, 422);
    assert_eq!(script.get("/api/v1/time-entries?limit=abc").0, 400);

    expire_token(app, made["id"].as_i64().unwrap());
    assert_eq!(verdicts(&script), [401; 3], "an expired token");
    assert_eq!(verdicts(&alice), [200; 3]);
    let (s, body) = admin.put(
        &format!("/api/v1/users/{alice_id}"),
        &json!({"role": "user", "active": false}),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(verdicts(&alice), [401; 3], "a deactivated user's token");
}

fn list_owner(api: &tt_tests::Api) -> i64 {
    api.get("/api/v1/me").1["id"].as_i64().unwrap()
}

/// Moves a token's end into the past, behind the API's back.
fn expire_token(app: &TestApp, id: i64) {
    use diesel::prelude::*;
    use tt_persistence::schema::api_tokens;
    let past = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).naive_utc();
    let n = diesel::update(api_tokens::table.find(id))
        .set(api_tokens::expires_at.eq(Some(past)))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(n, 1);
}
