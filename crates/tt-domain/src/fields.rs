//! The words a person reads for each input field. Code names a field by
//! its internal name (`hourly_rate`, `project_id`, `to`); every message
//! shown on a page, in the API's JSON `message` and on the command line
//! names it by the label from this one table, so all three say the same.

/// The human label of an input field, as the forms print it.
///
/// The table lists every field name a validation message uses; a name
/// missing from it reads as "Value" rather than leaking the internal name
/// (and the workspace's message test fails).
pub fn field_label(field: &str) -> &'static str {
    match field {
        "address" => "Address",
        "amount" => "Amount",
        "assignee_id" => "Assignee",
        "bank_details" => "Bank details",
        "billable" => "Billing",
        "body" => "Comment",
        "client_id" => "Client",
        "currency" => "Currency",
        "current_password" => "Current password",
        "date" => "Date",
        "description" => "Description",
        "discount" => "Discount",
        "due_date" => "Due date",
        "email" => "E-mail",
        "end" => "End",
        "entries" => "Their time entries",
        "expires_in_days" => "Expires in (days)",
        "footer" => "Footer",
        "format" => "Format",
        "from" => "Start date",
        "group_by" => "Group by",
        "hourly_rate" => "Hourly rate",
        "install_id" => "Install id",
        "issue_date" => "Issue date",
        "kind" => "Line type",
        "limit" => "Limit",
        "line_grouping" => "Invoice lines",
        "logo" => "Logo",
        "name" => "Name",
        "page" => "Page",
        "number_pattern" => "Invoice number pattern",
        "password" => "Password",
        "payment_terms_days" => "Payment terms (days)",
        "project_id" => "Project",
        "quantity" => "Quantity",
        "role" => "Role",
        "start" => "Start",
        "status" => "Status",
        "tag" => "Tag",
        "tags" => "Tags",
        "task_id" => "Task",
        "tax_id" => "Tax ID",
        "tax_rate" => "Tax rate",
        "text" => "Text",
        "time_zone" => "Time zone",
        "to" => "End date",
        "token_name" => "Token name",
        "unit_price" => "Unit price",
        "user_id" => "Person",
        "username" => "Username",
        "week_start" => "First day of the week",
        _ => "Value",
    }
}

/// `"{label}: {reason}"`: how every message about one field reads.
pub fn field_message(field: &str, reason: &str) -> String {
    format!("{}: {reason}", field_label(field))
}

#[cfg(test)]
mod tests {
    use super::{field_label, field_message};

    /// Every field name in use, with the label a person reads.
    const LABELS: &[(&str, &str)] = &[
        ("address", "Address"),
        ("amount", "Amount"),
        ("assignee_id", "Assignee"),
        ("bank_details", "Bank details"),
        ("billable", "Billing"),
        ("body", "Comment"),
        ("client_id", "Client"),
        ("currency", "Currency"),
        ("current_password", "Current password"),
        ("date", "Date"),
        ("description", "Description"),
        ("discount", "Discount"),
        ("due_date", "Due date"),
        ("email", "E-mail"),
        ("end", "End"),
        ("entries", "Their time entries"),
        ("expires_in_days", "Expires in (days)"),
        ("footer", "Footer"),
        ("format", "Format"),
        ("from", "Start date"),
        ("group_by", "Group by"),
        ("hourly_rate", "Hourly rate"),
        ("issue_date", "Issue date"),
        ("kind", "Line type"),
        ("limit", "Limit"),
        ("line_grouping", "Invoice lines"),
        ("logo", "Logo"),
        ("name", "Name"),
        ("page", "Page"),
        ("number_pattern", "Invoice number pattern"),
        ("password", "Password"),
        ("payment_terms_days", "Payment terms (days)"),
        ("project_id", "Project"),
        ("quantity", "Quantity"),
        ("role", "Role"),
        ("start", "Start"),
        ("status", "Status"),
        ("tag", "Tag"),
        ("tags", "Tags"),
        ("task_id", "Task"),
        ("tax_id", "Tax ID"),
        ("tax_rate", "Tax rate"),
        ("text", "Text"),
        ("time_zone", "Time zone"),
        ("to", "End date"),
        ("token_name", "Token name"),
        ("unit_price", "Unit price"),
        ("user_id", "Person"),
        ("username", "Username"),
        ("week_start", "First day of the week"),
    ];

    #[test]
    fn every_field_has_its_label() {
        for (field, label) in LABELS {
            assert_eq!(field_label(field), *label, "{field}");
        }
    }

    #[test]
    fn labels_read_as_words() {
        for (field, _) in LABELS {
            let label = field_label(field);
            assert!(!label.contains('_'), "{field}: {label}");
            assert!(label.starts_with(char::is_uppercase), "{field}: {label}");
        }
        assert_eq!(field_label("no_such_field"), "Value");
    }

    #[test]
    fn messages_name_the_label() {
        assert_eq!(
            field_message("to", "must not be before the start date"),
            "End date: must not be before the start date"
        );
        assert_eq!(
            field_message("hourly_rate", "is too large"),
            "Hourly rate: is too large"
        );
    }
}
