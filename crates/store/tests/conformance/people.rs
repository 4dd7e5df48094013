//! People: invitations, passwords, second factors, sessions and throttling,
//! on every backend.

use chrono::Duration;
use rectrack_core::Error as CoreError;
use rectrack_core::person::PersonState;
use rectrack_core::role::{Principal, Role};
use rectrack_store::people::{PersonDraft, SignedIn, Stage};
use rectrack_store::{Clock, Ctx, Error, Written};

use crate::cases::seed;
use crate::harness::{Harness, mps, overseer};

fn fresh<T>(written: Result<Written<T>, Error>) -> T {
    match written {
        Ok(Written::Fresh(value)) => value,
        Ok(Written::Replayed(_)) => panic!("expected a fresh write, got a replay"),
        Err(e) => panic!("expected a fresh write, got {e:?}"),
    }
}

fn draft(organisation: &str, role: Role, email: &str, name: &str) -> PersonDraft {
    PersonDraft {
        organisation: organisation.into(),
        role,
        email: email.into(),
        name: name.into(),
    }
}

/// The code an authenticator app given `secret` shows at the clock's time.
fn code(h: &Harness, secret: &str) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_ref().to_vec())
        .with_account_name("test")
        .build()
        .unwrap();
    totp.generate(u64::try_from(h.clock.now().timestamp()).unwrap())
        .to_string()
}

const GOOD: &str = "kettle orbit lantern";
const BETTER: &str = "saffron glacier tandem";

pub async fn people_sign_in_with_passwords_second_factors_and_sessions(h: Harness) {
    seed(&h).await;
    let store = &h.store;

    // Only an overseer invites; the role must fit; one account per address.
    let invited = fresh(
        store
            .invite_person(
                &Ctx::new(&overseer()),
                &draft(
                    "mps",
                    Role::Recipient,
                    "Priya.Sharma@met.example",
                    "Priya Sharma",
                ),
            )
            .await,
    );
    assert!(invited.secret.starts_with("inv_") && invited.secret.len() == 47);
    assert_eq!(invited.person.state, PersonState::Invited);
    let week = invited.expires_at - h.clock.now();
    assert!((week - Duration::days(7)).num_seconds().abs() < 1, "{week}");
    for (principal, d) in [
        (
            mps(),
            draft("mps", Role::Recipient, "someone@met.example", "Someone"),
        ),
        (
            overseer(),
            draft("iopc", Role::Recipient, "x@iopc.example", "X"),
        ),
        (
            overseer(),
            draft("mps", Role::Recipient, "priya.sharma@MET.example", "Priya"),
        ),
    ] {
        let before = h.snapshot().await;
        let refused = store.invite_person(&Ctx::new(&principal), &d).await;
        assert!(
            matches!(refused, Err(Error::Domain(_)) | Err(Error::Conflict(_))),
            "{refused:?}"
        );
        assert_eq!(
            h.snapshot().await,
            before,
            "a refused invitation writes nothing"
        );
    }

    // The link shows whom it is for; a weak password is refused and the
    // link stays open; a good one activates the account and signs in.
    let shown = store.invitation(&invited.secret).await.unwrap();
    assert_eq!(shown.map(|p| p.id), Some(invited.person.id));
    let weak = store.accept_invitation(&invited.secret, "password1").await;
    assert!(
        matches!(weak, Err(Error::Domain(CoreError::Validation(_)))),
        "{weak:?}"
    );
    let weak = store
        .accept_invitation(&invited.secret, "priyasharma")
        .await;
    assert!(
        matches!(weak, Err(Error::Domain(CoreError::Validation(_)))),
        "{weak:?}"
    );
    let SignedIn {
        secret: first,
        session,
    } = store
        .accept_invitation(&invited.secret, GOOD)
        .await
        .unwrap();
    assert_eq!(session.stage, Stage::Complete);
    assert_eq!(session.person.state, PersonState::Active);
    let Some(Principal::Person { person_id, actor }) = session.principal() else {
        panic!("a complete session acts as its person");
    };
    assert_eq!(
        (person_id, actor.role),
        (invited.person.id, Role::Recipient)
    );
    assert!(store.invitation(&invited.secret).await.unwrap().is_none());
    assert!(matches!(
        store.accept_invitation(&invited.secret, BETTER).await,
        Err(Error::NotFound { .. })
    ));

    // Wrong passwords are refused alike; the fifth in fifteen minutes
    // throttles the account, right password or not, until they age out.
    assert!(matches!(
        store.sign_in("nobody@met.example", GOOD, "10.0.0.1").await,
        Err(Error::SignInRefused)
    ));
    for _ in 0..5 {
        assert!(matches!(
            store
                .sign_in("priya.sharma@met.example", "wrong horse", "10.0.0.1")
                .await,
            Err(Error::SignInRefused)
        ));
    }
    assert!(matches!(
        store
            .sign_in("priya.sharma@met.example", GOOD, "10.0.0.2")
            .await,
        Err(Error::Throttled { .. })
    ));
    h.clock.advance(Duration::minutes(16));
    let second = store
        .sign_in(" PRIYA.sharma@met.example", GOOD, "10.0.0.2")
        .await
        .unwrap();
    assert_eq!(second.session.stage, Stage::Complete);

    // Twenty failures from one address throttle that address, whatever
    // account it tries; another address is not held back.
    for i in 0..20 {
        let _ = store
            .sign_in(&format!("guess{i}@met.example"), GOOD, "10.0.0.9")
            .await;
    }
    assert!(matches!(
        store
            .sign_in("priya.sharma@met.example", GOOD, "10.0.0.9")
            .await,
        Err(Error::Throttled { .. })
    ));
    store
        .sign_in("priya.sharma@met.example", GOOD, "10.0.0.3")
        .await
        .unwrap();

    // Sessions end when idle for thirty minutes.
    assert!(store.session(&second.secret).await.unwrap().is_some());
    h.clock.advance(Duration::minutes(31));
    assert!(store.session(&second.secret).await.unwrap().is_none());
    assert!(store.session(&first).await.unwrap().is_none());

    // Changing the password ends every session but the new one.
    let a = store
        .sign_in("priya.sharma@met.example", GOOD, "10.0.0.4")
        .await
        .unwrap();
    let b = store
        .sign_in("priya.sharma@met.example", GOOD, "10.0.0.5")
        .await
        .unwrap();
    assert!(matches!(
        store.change_password(&a.session, "not it", BETTER).await,
        Err(Error::Domain(CoreError::Validation(_)))
    ));
    let changed = store
        .change_password(&a.session, GOOD, BETTER)
        .await
        .unwrap();
    assert!(store.session(&a.secret).await.unwrap().is_none());
    assert!(store.session(&b.secret).await.unwrap().is_none());
    assert!(store.session(&changed.secret).await.unwrap().is_some());
    assert!(matches!(
        store
            .sign_in("priya.sharma@met.example", GOOD, "10.0.0.4")
            .await,
        Err(Error::SignInRefused)
    ));

    // An overseer must set up a second factor before acting.
    let caseworker = fresh(
        store
            .invite_person(
                &Ctx::new(&overseer()),
                &draft(
                    "iopc",
                    Role::Overseer,
                    "sam.okafor@iopc.example",
                    "Sam Okafor",
                ),
            )
            .await,
    );
    let enrolling = store
        .accept_invitation(&caseworker.secret, GOOD)
        .await
        .unwrap();
    assert_eq!(enrolling.session.stage, Stage::Enrol);
    assert!(
        enrolling.session.principal().is_none(),
        "no acting before 2FA"
    );
    let setup = store
        .begin_two_factor(&enrolling.session.person, None)
        .unwrap();
    assert!(setup.uri.starts_with("otpauth://totp/"), "{}", setup.uri);
    let again = store
        .begin_two_factor(&enrolling.session.person, Some(&setup.secret))
        .unwrap();
    assert_eq!(again, setup, "a form sent back shows the same secret");
    assert!(matches!(
        store
            .enable_two_factor(&enrolling.session, &setup.secret, "000000")
            .await,
        Err(Error::Domain(CoreError::Validation(_)))
    ));
    let (enrolled, recovery) = store
        .enable_two_factor(&enrolling.session, &setup.secret, &code(&h, &setup.secret))
        .await
        .unwrap();
    assert_eq!(enrolled.stage, Stage::Complete);
    assert_eq!(recovery.len(), 10);
    assert!(
        store.disable_two_factor(&enrolled).await.is_err(),
        "overseers keep 2FA"
    );
    store.sign_out(&enrolling.secret).await.unwrap();
    assert!(store.session(&enrolling.secret).await.unwrap().is_none());

    // Signing in then owes a code; each code works once.
    h.clock.advance(Duration::seconds(31));
    let owing = store
        .sign_in("sam.okafor@iopc.example", GOOD, "10.0.0.6")
        .await
        .unwrap();
    assert_eq!(owing.session.stage, Stage::SecondFactor);
    assert!(owing.session.principal().is_none());
    assert!(matches!(
        store
            .second_factor(&owing.secret, "123456", "10.0.0.6")
            .await,
        Err(Error::SignInRefused)
    ));
    let now_code = code(&h, &setup.secret);
    let done = store
        .second_factor(&owing.secret, &now_code, "10.0.0.6")
        .await
        .unwrap();
    assert_eq!(done.stage, Stage::Complete);
    let again = store
        .sign_in("sam.okafor@iopc.example", GOOD, "10.0.0.6")
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .second_factor(&again.secret, &now_code, "10.0.0.6")
                .await,
            Err(Error::SignInRefused)
        ),
        "a TOTP code is accepted once"
    );
    let spoken = recovery[0].to_uppercase();
    store
        .second_factor(&again.secret, &spoken, "10.0.0.6")
        .await
        .unwrap();
    let third = store
        .sign_in("sam.okafor@iopc.example", GOOD, "10.0.0.6")
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .second_factor(&third.secret, &recovery[0], "10.0.0.6")
                .await,
            Err(Error::SignInRefused)
        ),
        "a recovery code is accepted once"
    );

    // Setting up again (a new phone) replaces the secret and the recovery
    // codes; the same form sent twice is refused, its code spent.
    let replaced_by = store
        .second_factor(&third.secret, &recovery[1], "10.0.0.6")
        .await
        .unwrap();
    let new_setup = store.begin_two_factor(&replaced_by.person, None).unwrap();
    assert_ne!(new_setup.secret, setup.secret);
    h.clock.advance(Duration::seconds(31));
    let new_code = code(&h, &new_setup.secret);
    let (_, new_recovery) = store
        .enable_two_factor(&replaced_by, &new_setup.secret, &new_code)
        .await
        .unwrap();
    assert!(matches!(
        store
            .enable_two_factor(&replaced_by, &new_setup.secret, &new_code)
            .await,
        Err(Error::Conflict(_))
    ));
    let fourth = store
        .sign_in("sam.okafor@iopc.example", GOOD, "10.0.0.6")
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .second_factor(&fourth.secret, &recovery[2], "10.0.0.6")
                .await,
            Err(Error::SignInRefused)
        ),
        "the old recovery codes stop working"
    );
    store
        .second_factor(&fourth.secret, &new_recovery[0], "10.0.0.6")
        .await
        .unwrap();

    // Disabling an account ends its sessions at once; no one disables
    // their own.
    let sam = done.principal().unwrap();
    assert!(matches!(
        store
            .set_person_disabled(&Ctx::new(&sam), caseworker.person.id, true)
            .await,
        Err(Error::Conflict(_))
    ));
    let live = store
        .sign_in("priya.sharma@met.example", BETTER, "10.0.0.7")
        .await
        .unwrap();
    fresh(
        store
            .set_person_disabled(&Ctx::new(&sam), invited.person.id, true)
            .await,
    );
    assert!(store.session(&live.secret).await.unwrap().is_none());
    assert!(store.session(&changed.secret).await.unwrap().is_none());
    assert!(matches!(
        store
            .sign_in("priya.sharma@met.example", BETTER, "10.0.0.7")
            .await,
        Err(Error::SignInRefused)
    ));
    let enabled = fresh(
        store
            .set_person_disabled(&Ctx::new(&sam), invited.person.id, false)
            .await,
    );
    assert_eq!(enabled.state, PersonState::Active);

    // The chain names the person who acted and holds no secret.
    let events = store.audit_events(0, 1000).await.unwrap();
    let actions: Vec<&str> = events
        .iter()
        .filter(|e| e.entity_type == "person")
        .map(|e| e.action.as_str())
        .collect();
    for wanted in [
        "person.invited",
        "person.activated",
        "person.signed_in",
        "person.password_changed",
        "person.two_factor_enabled",
        "person.signed_out",
        "person.disabled",
        "person.enabled",
    ] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
    let disabled = events
        .iter()
        .find(|e| e.action == "person.disabled")
        .unwrap();
    assert_eq!(disabled.actor.person_id, Some(caseworker.person.id));
    assert_eq!(disabled.actor.token_id, None);
    let chain = serde_json::to_string(&events).unwrap();
    for secret in [
        invited.secret.as_str(),
        GOOD,
        BETTER,
        setup.secret.as_str(),
        first.as_str(),
        changed.secret.as_str(),
        recovery[1].as_str(),
        "argon2id",
    ] {
        assert!(
            !chain.contains(secret),
            "the chain holds a secret: {secret}"
        );
    }
    assert!(store.verify_chain().await.unwrap().valid);
    h.finish().await;
}
