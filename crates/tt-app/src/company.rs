//! The company profile invoices are sent with (administrators): sender
//! details, payment terms, default tax rate and currency, footer, number
//! pattern and logo.

use tt_domain::{CompanyProfile, Logo, require_admin};
use tt_persistence::company as repo;

use crate::{Actor, App, Result};

/// The company profile (admin).
pub fn get(app: &App, actor: &Actor) -> Result<CompanyProfile> {
    require_admin(&actor.user)?;
    app.read(|c| Ok(repo::load(c)?))
}

/// The number the next issued invoice would print with `pattern`, issued
/// today (admin).
pub fn next_number(app: &App, actor: &Actor, pattern: &tt_domain::NumberPattern) -> Result<String> {
    require_admin(&actor.user)?;
    let next = app.read(|c| Ok(tt_persistence::invoices::peek_next_number(c)?))?;
    Ok(pattern.render(next, app.calendar_of(&actor.user).today(crate::now())))
}

/// A change of the logo.
#[derive(Debug, Clone)]
pub enum LogoChange {
    /// Set or replace it.
    Set(Logo),
    /// Remove it.
    Remove,
}

/// Saves the profile (admin), keeping its logo. Its texts are checked by
/// `tt_domain::check_party` and `check_footer`.
pub fn update(app: &App, actor: &Actor, mut profile: CompanyProfile) -> Result<CompanyProfile> {
    require_admin(&actor.user)?;
    tt_domain::check_party(&profile.party)?;
    tt_domain::check_footer(&profile.footer)?;
    if profile.payment_terms_days > 365 {
        return Err(crate::AppError::invalid_field(
            "payment_terms_days",
            "must be between 0 and 365",
        ));
    }
    app.write(|c| {
        profile.logo = repo::load(c)?.logo;
        repo::save(c, &profile)?;
        Ok(repo::load(c)?)
    })
}

/// Sets or removes the logo, keeping the rest of the profile (admin).
pub fn set_logo(app: &App, actor: &Actor, logo: LogoChange) -> Result<CompanyProfile> {
    require_admin(&actor.user)?;
    app.write(|c| {
        let mut profile = repo::load(c)?;
        profile.logo = match &logo {
            LogoChange::Set(l) => Some(l.clone()),
            LogoChange::Remove => None,
        };
        repo::save(c, &profile)?;
        Ok(repo::load(c)?)
    })
}
