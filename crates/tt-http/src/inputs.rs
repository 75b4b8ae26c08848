//! The input of an action as text: deserialized from a JSON body by the
//! API, filled from a form by the web pages, and read into typed values in
//! one place (through `tt_app::input` and `tt-domain`'s parsers), so both
//! surfaces give the same verdict and the same message.

use serde::Deserialize;
use tt_app::catalog::{ClientFields, ProjectFields};
use tt_app::entries::EntryDetails;
use tt_app::input::{self, email, id as id_of, rate};
use tt_app::invoices::NewInvoice;
use tt_app::tasks::TaskFields;
use tt_app::users::{EntryDisposition, NewAccount};
use tt_domain::{
    ClientId, Name, Password, ProjectId, Role, TaskId, TaskStatus, Text, UserId, Username,
};
use utoipa::ToSchema;

use crate::api::openapi::TaskStatusName;
use crate::error::HttpError;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientInput {
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    /// An e-mail address; empty or absent for none.
    #[serde(default)]
    pub(crate) email: Option<String>,
    /// A decimal per hour, e.g. `"87.50"`; empty or absent for none.
    #[serde(default)]
    pub(crate) default_hourly_rate: Option<String>,
    #[serde(default)]
    pub(crate) archived: bool,
}

impl ClientInput {
    pub(crate) fn parse(&self) -> Result<ClientFields, HttpError> {
        Ok(ClientFields {
            name: Name::parse(&self.name)?,
            email: email(self.email.as_deref())?,
            default_hourly_rate: rate(self.default_hourly_rate.as_deref())?,
            archived: self.archived,
        })
    }
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectInput {
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub(crate) client_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub(crate) description: String,
    #[serde(default = "default_true")]
    pub(crate) billable: bool,
    /// A decimal per hour, e.g. `"87.50"`; empty or absent for the
    /// client's default.
    #[serde(default)]
    pub(crate) hourly_rate: Option<String>,
    #[serde(default)]
    pub(crate) archived: bool,
}

impl ProjectInput {
    pub(crate) fn parse(&self) -> Result<ProjectFields, HttpError> {
        Ok(ProjectFields {
            client_id: self
                .client_id
                .map(|c| id_of("client_id", c, ClientId::new))
                .transpose()?,
            name: Name::parse(&self.name)?,
            description: Text::parse(&self.description)?,
            billable: self.billable,
            hourly_rate: rate(self.hourly_rate.as_deref())?,
            archived: self.archived,
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskInput {
    #[schema(minimum = 1)]
    pub(crate) project_id: i64,
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub(crate) description: String,
    /// Absent: `todo`.
    #[serde(default)]
    #[schema(value_type = Option<TaskStatusName>)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub(crate) assignee_id: Option<i64>,
    /// `YYYY-MM-DD`; empty or absent for none.
    #[serde(default)]
    pub(crate) due_date: Option<String>,
    /// Absent: the task keeps its archived flag.
    #[serde(default)]
    pub(crate) archived: Option<bool>,
}

impl TaskInput {
    pub(crate) fn parse(&self) -> Result<TaskFields, HttpError> {
        Ok(TaskFields {
            project_id: id_of("project_id", self.project_id, ProjectId::new)?,
            name: Name::parse(&self.name)?,
            description: Text::parse(&self.description)?,
            status: match self.status.as_deref() {
                None => TaskStatus::Todo,
                Some(s) => s.parse()?,
            },
            assignee_id: self
                .assignee_id
                .map(|u| id_of("assignee_id", u, UserId::new))
                .transpose()?,
            due_date: input::opt_date("due_date", self.due_date.as_deref())?,
            archived: self.archived,
        })
    }
}

/// What to invoice, as JSON or as a form (all text but the client).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceInput {
    #[schema(minimum = 1)]
    pub client_id: i64,
    /// First day of the invoiced period, `YYYY-MM-DD` (both ends absent:
    /// every unbilled entry).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day of the invoiced period, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: Option<String>,
    /// Percent as decimal text, e.g. `"19"` or `"7.5"`; absent: 0.
    #[serde(default)]
    pub tax_rate: Option<String>,
    /// `YYYY-MM-DD`; absent: today.
    #[serde(default)]
    pub issue_date: Option<String>,
}

impl InvoiceInput {
    pub(crate) fn parse(&self) -> Result<NewInvoice, HttpError> {
        let today = input::today(tt_app::now());
        Ok(NewInvoice {
            client_id: input::id("client_id", self.client_id, ClientId::new)?,
            period: input::opt_period(self.from.as_deref(), self.to.as_deref(), today)?,
            tax_rate: input::tax_rate(self.tax_rate.as_deref())?,
            issue_date: input::opt_date("issue_date", self.issue_date.as_deref())?.unwrap_or(today),
        })
    }
}

/// A new account from typed text. Shared with the admin page.
pub(crate) fn new_account(
    username: &str,
    password: &str,
    email: Option<&str>,
    role: Role,
) -> Result<NewAccount, HttpError> {
    Ok(NewAccount {
        username: Username::parse(username)?,
        password: Password::parse(password, &[username, email.unwrap_or_default()])?,
        email: tt_app::input::email(email)?,
        role,
    })
}

/// Parses what to do with a deleted user's entries.
pub(crate) fn disposition(raw: Option<&str>) -> Result<EntryDisposition, HttpError> {
    match raw.unwrap_or("anonymise") {
        "anonymise" | "anonymize" => Ok(EntryDisposition::Anonymise),
        "delete" => Ok(EntryDisposition::Delete),
        _ => Err(HttpError::Validation(
            "entries: must be delete or anonymise".into(),
        )),
    }
}

/// What an entry is about, as the web forms send it (the timer start and
/// both entry forms); `billable` is `yes`, `no` or empty for the project's
/// default.
pub(crate) fn entry_details(
    project_id: &str,
    task_id: &str,
    notes: &str,
    tags: &str,
    billable: &str,
) -> Result<EntryDetails, HttpError> {
    Ok(EntryDetails {
        project_id: input::required_id_text("project_id", project_id, ProjectId::new)?,
        task_id: input::id_text("task_id", task_id, TaskId::new)?,
        notes: Text::parse(notes)?,
        tags: input::tags_text(tags)?,
        billable: billable_choice(billable),
    })
}

/// A billable select: `yes`, `no`, or empty for the project's default.
pub(crate) fn billable_choice(raw: &str) -> Option<bool> {
    match raw.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billable_choices() {
        assert_eq!(billable_choice("yes"), Some(true));
        assert_eq!(billable_choice(" no "), Some(false));
        assert_eq!(billable_choice(""), None);
    }
}
