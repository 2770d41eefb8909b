skip-to-content = Skip to content
menu = Menu
nav-label = Main navigation
nav-dashboard = Overview
nav-settings = Settings
nav-settings-users = Users
nav-staff-sellers = Sellers
logout = Log out
language = Language:
language-fr = Français
language-en = English
language-sv = Svenska
dev-mailbox = Development mailbox
back-home = Back to home
cancel = Cancel
actions = Actions

error-not-found-title = Page not found
error-not-found = This page does not exist or you do not have access to it.
error-forbidden-title = Access denied
error-forbidden = Your role does not allow you to open this page.
error-csrf-title = Form expired
error-csrf = The form could not be verified. Reload the page and try again: nothing was saved.
error-internal-title = Something went wrong
error-internal = We could not process the request. Please try again in a moment.

field-email = E-mail address
field-password = Password
field-new-password = New password
field-password-confirmation = Confirm password
field-company_name = Company name
field-name = Full name
field-role = Role
password-hint = At least 10 characters.

login-title = Log in
login-submit = Log in
forgot-link = Forgot your password?
signup-link = Create an account
have-account = Already have an account? Log in
signup-title = Create your Encaisse account
signup-lead = Your company and your admin access, in a minute.
signup-submit = Create my account
signup-done-title = Check your inbox
signup-done-text = We sent an activation link to { $email }. Open it to activate your account.
activate-title = Activate your account
activate-choose-password = Choose your password to activate your account.
activate-confirm = Confirm the activation of your account.
activate-submit = Activate my account
dead-link-title = Invalid or expired link
dead-link-text = This link has already been used or is no longer valid. Ask for a new one.
forgot-title = Forgot your password
forgot-lead = Enter your e-mail address: if an account exists, you will receive a link to choose a new password.
forgot-submit = Send me the link
reset-title = Choose a new password
reset-submit = Save the password

flash-account-activated = Your account is active. You can log in.
flash-logged-out = You are logged out.
flash-reset-sent = If an account exists for this address, a reset link has just been sent.
flash-password-changed = Password changed. Log in with your new password.
flash-user-invited = Invitation sent.
flash-role-changed = Role changed.
flash-user-removed = User removed.

err-required = This field is required.
err-too-long = This field is too long.
err-email-required = The e-mail address is required.
err-email-invalid = Invalid e-mail address (example: name@company.com).
err-email-taken = An account already exists with this e-mail address.
err-password-too-short = The password must be at least 10 characters long.
err-password-too-long = The password must be at most 128 characters long.
err-password-mismatch = The two passwords do not match.
err-role-invalid = Unknown role.
err-last-admin = Not possible: the company must keep at least one active admin.
err-self-removal = You cannot remove your own account; ask another admin.
err-confirmation-required = Tick the box to confirm.
err-login-failed = Wrong e-mail address or password.
err-login-not-activated = Your account is not activated yet: open the link you received by e-mail.
err-login-throttled = Too many login attempts. Try again in 15 minutes.

dashboard-welcome = Hello { $name }.
dashboard-company = Company
dashboard-team = Team
dashboard-team-active = { $count ->
    [one] { $count } active user
   *[other] { $count } active users
}
dashboard-team-pending = { $count ->
    [one] { $count } pending invitation
   *[other] { $count } pending invitations
}
dashboard-manage-users = Manage users

users-invite = Invite a user
users-invite-lead = The person receives an e-mail with a link to choose their password.
users-invite-submit = Send the invitation
users-status = Status
users-active = Active
users-invited = Invited
users-you = you
users-change-role = Change
users-remove = Remove
users-remove-title = Remove { $name }?
users-remove-warning = { $name } ({ $email }) will lose access to the company. Their open sessions are closed.
users-remove-confirm = I confirm the removal of this user.
users-remove-submit = Remove the user
role-admin = Admin
role-member = Member
role-admin-hint = settings, users, bank details
role-member-hint = day-to-day invoicing

staff-created = Signed up
staff-users = Users
staff-admins = Admins
staff-no-sellers = No seller has signed up yet.

dev-mailbox-lead = E-mails sent by the app in development (no SMTP server configured).
dev-mailbox-empty = No message.
mail-date = Date
mail-to = Recipient
mail-subject = Subject
mail-status = Status
mail-error = Last error
mail-attachments = Attachments
mail-text = Plain text
mail-status-pending = Pending
mail-status-sending = Sending
mail-status-sent = Sent
mail-status-failed = Failed

mail-hello = Hello { $name },
mail-ignore = If you did not ask for this, ignore this message.
mail-link-validity-days = This link is valid for { $days } days.
mail-link-validity-minutes = This link is valid for { $minutes } minutes.
mail-account_activation-subject = Activate your Encaisse account
mail-account_activation-body = Welcome to Encaisse! To activate the account of { $company }, open this link:
mail-account_activation-button = Activate my account
mail-user_invitation-subject = Invitation to join { $company } on Encaisse
mail-user_invitation-body = { $inviter } invites you to join { $company } on Encaisse.
mail-user_invitation-role = Your role:
mail-user_invitation-button = Choose my password
mail-password_reset-subject = Reset your Encaisse password
mail-password_reset-body = To choose a new password, open this link:
mail-password_reset-button = Choose a new password
