//! Page views carry a route template from this closed list, never a path.
//!
//! The list mirrors the HTML pages of the web UI: a test in `tt-http`
//! walks its route table and fails when a page has no template here.

tt_telemetry::closed_enum! {
    /// A page of the web UI, by route **template**. There is no way to put a
    /// concrete path (with real ids or a query string) in a page view.
    pub enum Route {
        /// The dashboard with the running timer.
        Dashboard = "/",
        /// The login page.
        Login = "/login",
        /// The first-run setup wizard.
        Setup = "/setup",
        /// The list of time entries, with the new-entry form.
        Entries = "/entries",
        /// The edit form of one entry.
        EntryEdit = "/entries/{id}/edit",
        /// The question before an entry is deleted.
        EntryDelete = "/entries/{id}/delete",
        /// The timer: start one, or correct and stop the running one.
        Timer = "/timer",
        /// The list of projects, with the new-project form.
        Projects = "/projects",
        /// One project, its tasks and comments.
        ProjectDetail = "/projects/{id}",
        /// The edit form of one project.
        ProjectEdit = "/projects/{id}/edit",
        /// The list of clients, with the new-client form.
        Clients = "/clients",
        /// The edit form of one client.
        ClientEdit = "/clients/{id}/edit",
        /// The list of tasks, with the new-task form.
        Tasks = "/tasks",
        /// One task, its edit form and comments.
        TaskDetail = "/tasks/{id}",
        /// The list of invoices, with the new-invoice form.
        Invoices = "/invoices",
        /// One invoice.
        InvoiceDetail = "/invoices/{id}",
        /// The printable invoice.
        InvoicePrint = "/invoices/{id}/print",
        /// Reports.
        Reports = "/reports",
        /// Admin: users, with the new-user form.
        AdminUsers = "/admin/users",
        /// Admin → Company: the details invoices are sent with.
        AdminCompany = "/admin/company",
        /// Admin → Privacy & Analytics.
        AdminTelemetry = "/admin/telemetry",
        /// The user's own profile and data download.
        Profile = "/profile",
        /// Changing one's own password.
        ProfilePassword = "/profile/password",
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
