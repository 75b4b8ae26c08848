//! Page views carry a route template from this closed list, never a path.

use std::fmt;

use super::{PropertyKind, PropertyType, PropertyValue, private};

closed_enums! {
    /// A page of the web UI, by route **template**. There is no way to put a
    /// concrete path (with real ids or a query string) in a page view.
    Route {
        /// The dashboard with the running timer.
        Dashboard = "/",
        /// The login page.
        Login = "/login",
        /// The first-run setup wizard.
        Setup = "/setup",
        /// The list of time entries.
        Entries = "/entries",
        /// The new-entry form.
        EntryNew = "/entries/new",
        /// The edit form of one entry.
        EntryEdit = "/entries/{id}/edit",
        /// The list of projects.
        Projects = "/projects",
        /// The new-project form.
        ProjectNew = "/projects/new",
        /// One project.
        ProjectDetail = "/projects/{id}",
        /// The edit form of one project.
        ProjectEdit = "/projects/{id}/edit",
        /// The list of clients.
        Clients = "/clients",
        /// The new-client form.
        ClientNew = "/clients/new",
        /// One client.
        ClientDetail = "/clients/{id}",
        /// The edit form of one client.
        ClientEdit = "/clients/{id}/edit",
        /// The list of tasks.
        Tasks = "/tasks",
        /// The new-task form.
        TaskNew = "/tasks/new",
        /// One task.
        TaskDetail = "/tasks/{id}",
        /// The edit form of one task.
        TaskEdit = "/tasks/{id}/edit",
        /// The list of invoices.
        Invoices = "/invoices",
        /// The new-invoice form.
        InvoiceNew = "/invoices/new",
        /// One invoice.
        InvoiceDetail = "/invoices/{id}",
        /// The printable invoice.
        InvoicePrint = "/invoices/{id}/print",
        /// Reports.
        Reports = "/reports",
        /// The user's own profile and API tokens.
        Profile = "/profile",
        /// Admin: the list of users.
        AdminUsers = "/admin/users",
        /// Admin: the new-user form.
        AdminUserNew = "/admin/users/new",
        /// Admin: one user.
        AdminUserDetail = "/admin/users/{id}",
        /// Admin → Privacy & Analytics.
        AdminPrivacy = "/admin/privacy",
        /// The help page.
        Help = "/help",
        /// Any page not listed above.
        Other = "other",
    }
}

impl Route {
    /// Maps a router's matched pattern (e.g. actix-web's
    /// `HttpRequest::match_pattern()`) to a route. Every `{parameter}` segment
    /// is treated alike, so `/projects/{project_id}` matches
    /// [`Route::ProjectDetail`]. A concrete path such as `/projects/42`, a
    /// query string or anything unknown gives [`Route::Other`].
    pub fn from_template(pattern: &str) -> Route {
        let trimmed = if pattern.len() > 1 {
            pattern.trim_end_matches('/')
        } else {
            pattern
        };
        Route::ALL
            .iter()
            .copied()
            .find(|route| *route != Route::Other && same_template(route.as_str(), trimmed))
            .unwrap_or(Route::Other)
    }
}

fn same_template(ours: &str, theirs: &str) -> bool {
    let mut a = ours.split('/');
    let mut b = theirs.split('/');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                let x_param = x.starts_with('{') && x.ends_with('}');
                let y_param = y.len() > 2 && y.starts_with('{') && y.ends_with('}');
                if !(x == y && !x_param || x_param && y_param) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}
