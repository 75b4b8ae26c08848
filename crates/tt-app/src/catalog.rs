//! Clients and projects: shared by the whole company, changed by
//! administrators, readable by everyone signed in.

use tt_domain::{
    Client, ClientId, Currency, Email, HourlyRate, Name, Project, ProjectId, require_admin,
};
use tt_persistence::locks;
pub use tt_persistence::work::ProjectFields;
use tt_persistence::work::{self as repo, ClientFields};

use crate::{Actor, App, Result, events};

/// A client as typed. The billing details may be left out: a new client
/// then has none and the company's default currency; an edited one keeps
/// what it had.
#[derive(Debug, Clone)]
pub struct ClientDetails {
    /// Name.
    pub name: Name,
    /// Contact and billing e-mail.
    pub email: Option<Email>,
    /// Rate used for projects that have none.
    pub default_hourly_rate: Option<HourlyRate>,
    /// Archived.
    pub archived: bool,
    /// Postal address.
    pub address: Option<String>,
    /// VAT or tax id.
    pub tax_id: Option<String>,
    /// Billing currency.
    pub currency: Option<Currency>,
}

impl ClientDetails {
    fn resolve(self, before: Option<&Client>, default_currency: Currency) -> Result<ClientFields> {
        let address = self
            .address
            .or_else(|| before.map(|b| b.address.clone()))
            .unwrap_or_default();
        let tax_id = self
            .tax_id
            .or_else(|| before.map(|b| b.tax_id.clone()))
            .unwrap_or_default();
        tt_domain::check_party(&tt_domain::Party {
            name: self.name.to_string(),
            address: address.clone(),
            tax_id: tax_id.clone(),
            ..tt_domain::Party::default()
        })?;
        Ok(ClientFields {
            name: self.name,
            email: self.email,
            default_hourly_rate: self.default_hourly_rate,
            archived: self.archived,
            address: address.trim().to_owned(),
            tax_id: tax_id.trim().to_owned(),
            currency: self
                .currency
                .or(before.map(|b| b.currency))
                .unwrap_or(default_currency),
        })
    }
}

/// Clients by name (archived ones too if asked).
pub fn clients(app: &App, include_archived: bool) -> Result<Vec<Client>> {
    app.read(|c| Ok(repo::list_clients(c, include_archived)?))
}

/// One client.
pub fn client(app: &App, id: ClientId) -> Result<Client> {
    app.read(|c| Ok(repo::find_client(c, id)?))
}

/// Creates a client (admin).
pub fn create_client(app: &App, actor: &Actor, details: ClientDetails) -> Result<Client> {
    require_admin(&actor.user)?;
    let client = app.write(|c| {
        let default_currency = tt_persistence::company::load(c)?.default_currency;
        let fields = details.clone().resolve(None, default_currency)?;
        Ok(repo::create_client(c, &fields)?)
    })?;
    app.track(events::client_created(&client), Some(actor.id()));
    Ok(client)
}

/// Replaces a client's fields (admin); archiving is tracked as such.
pub fn update_client(
    app: &App,
    actor: &Actor,
    id: ClientId,
    details: ClientDetails,
) -> Result<Client> {
    require_admin(&actor.user)?;
    let (was_archived, client) = app.write(|c| {
        locks::client(c, id)?;
        let before = repo::find_client(c, id)?;
        let fields = details.clone().resolve(Some(&before), before.currency)?;
        Ok((before.archived, repo::update_client(c, id, &fields)?))
    })?;
    app.track(
        events::client_saved(was_archived, &client),
        Some(actor.id()),
    );
    Ok(client)
}

/// Deletes a client nothing refers to (admin).
pub fn delete_client(app: &App, actor: &Actor, id: ClientId) -> Result<()> {
    require_admin(&actor.user)?;
    app.write(|c| Ok(repo::delete_client(c, id)?))
}

/// Projects by name, optionally of one client.
pub fn projects(
    app: &App,
    client: Option<ClientId>,
    include_archived: bool,
) -> Result<Vec<Project>> {
    app.read(|c| Ok(repo::list_projects(c, client, include_archived)?))
}

/// One project.
pub fn project(app: &App, id: ProjectId) -> Result<Project> {
    app.read(|c| Ok(repo::find_project(c, id)?))
}

/// Creates a project (admin).
pub fn create_project(app: &App, actor: &Actor, fields: ProjectFields) -> Result<Project> {
    require_admin(&actor.user)?;
    let project = app.write(|c| Ok(repo::create_project(c, &fields)?))?;
    app.track(events::project_created(&project), Some(actor.id()));
    Ok(project)
}

/// Replaces a project's fields (admin); archiving is tracked as such.
pub fn update_project(
    app: &App,
    actor: &Actor,
    id: ProjectId,
    fields: ProjectFields,
) -> Result<Project> {
    require_admin(&actor.user)?;
    let (was_archived, project) = app.write(|c| {
        locks::project(c, id)?;
        let before = repo::find_project(c, id)?;
        Ok((before.archived, repo::update_project(c, id, &fields)?))
    })?;
    app.track(
        events::project_saved(was_archived, &project),
        Some(actor.id()),
    );
    Ok(project)
}

/// Deletes a project with no time, tasks or comments (admin).
pub fn delete_project(app: &App, actor: &Actor, id: ProjectId) -> Result<()> {
    require_admin(&actor.user)?;
    app.write(|c| Ok(repo::delete_project(c, id)?))?;
    app.track(events::project_deleted(id), Some(actor.id()));
    Ok(())
}

/// Archives or restores a client (admin), keeping its other fields.
pub fn set_client_archived(
    app: &App,
    actor: &Actor,
    id: ClientId,
    archived: bool,
) -> Result<Client> {
    require_admin(&actor.user)?;
    let (was_archived, client) = app.write(|c| {
        locks::client(c, id)?;
        let before = repo::find_client(c, id)?;
        Ok((before.archived, repo::set_client_archived(c, id, archived)?))
    })?;
    app.track(
        events::client_saved(was_archived, &client),
        Some(actor.id()),
    );
    Ok(client)
}
