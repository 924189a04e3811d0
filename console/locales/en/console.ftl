# The operator console, in English. Every key here must be in fr, sw and
# pt too (a test checks). Keep words plain: officers read these.

product-tagline = health worker messages
skip-to-content = Skip to the main content
nav-label = Main
nav-home = Home
nav-audit = Audit log
nav-accounts = Accounts
nav-my-account = My account
nav-language = Language
logout = Log out
footer-timezone = All times are in { $zone }.

## Errors
error-go-home = Go to the home page
error-go-login = Go to the login page
error-code = Error code { $code }
error-401-title = Please log in
error-401-text = You are not logged in, or your session has ended. Log in and try again.
error-403-title = Not allowed
error-403-text = Your account is not allowed to do this. Ask an administrator if you need it.
error-csrf-text = This form has expired or did not come from this site, so nothing was changed. Go back, reload the page and try again.
error-csrf-login-text = The login form has expired. Reload the page and log in again.
error-404-title = Page not found
error-404-text = There is no page at this address. Check the address, or start from the home page.
error-429-title = Too many attempts
error-429-text = There were too many failed logins. You can try again at { $time }.
error-429-minutes = That is in about { $minutes } minutes.
error-500-title = Something went wrong
error-500-text = The gateway could not finish this request. Nothing was lost; try again in a moment. The problem has been logged.
error-not-found = This item no longer exists.
form-has-errors = Nothing was saved. Please correct the fields marked below.
error-check-field = Please check this field

## Logging in
login-title = Log in
login-intro = Log in to send messages to health workers and follow their replies.
label-username = User name
label-password = Password
login-submit = Log in
login-help = Forgot your password? Ask an administrator to reset it.
login-failed = The user name or the password is wrong.

## Passwords
password-title = Change your password
password-forced = This password was chosen for you. Choose your own password now to continue.
label-current-password = Current password
label-new-password = New password
label-confirm-password = New password again
password-rules = At least 10 characters. A few words you will remember are a good choice.
password-submit = Change password
password-confirm-differs = The two new passwords are not the same.
password-too-short = The password must be at least 10 characters long.
password-too-long = The password must be at most 200 characters long.
password-is-username = The password must not be the user name.
password-common = This password is too common. Choose another one.
password-current-wrong = This is not your current password.
password-same = The new password must be different from the current one.

## Field problems
username-length = The user name must be 1 to 64 characters long.
username-characters = Use only small letters, digits, dots, dashes and underscores.
username-taken = This user name is already used. Choose another one.
username-hint = Small letters, digits, dots, dashes and underscores, for example amina.juma
token-name-characters = Use only letters, digits, dots, dashes and underscores.
token-name-taken = A token with this name already exists. Choose another name.
display-name-length = The name must be 1 to 100 characters long.
last-admin = This is the last administrator account. Make another account an administrator first.
language-unknown = Choose one of the languages in the list.
role-unknown = Choose one of the roles in the list.

## Roles
role-viewer = Viewer
role-sender = Sender
role-admin = Administrator
role-hint = Viewers can only look. Senders can also send messages and manage health workers and groups. Administrators can also manage accounts and settings.

## Home
home-title = Overview
home-links = Carrier links
link-up = Working
link-off = Switched off
link-down = Not working
link-rate = { $rate } messages per second
link-no-limit = No speed limit
home-today = Messages today
home-today-none = No messages have been sent today.
home-today-total = Messages sent today: { $count }
col-status = Status
col-messages = Messages
home-sends = Latest sends
home-sends-none = Nothing has been sent yet.
col-message = Message
col-recipients = Recipients
col-delivered = Delivered
col-failed = Failed
col-created = Created
col-name = Name
col-actions = Actions
col-state = State

## Statuses
status-pending = Waiting
status-scheduled = Scheduled
status-recurring = Repeating
status-sending = Sending
status-completed = Finished
status-cancelled = Cancelled
status-queued = Queued
status-wired = Being sent
status-sent = Sent
status-delivered = Delivered
status-errored = Will retry
status-failed = Failed
status-expired = Expired
status-handled = Handled

## My account
account-title = My account
label-display-name = Name
label-role = Role
account-password = Password
account-change-password = Change my password
account-language = Language
label-language = Language of the console
language-browser = The browser's language
save = Save
account-tokens = API tokens
account-tokens-intro = A token lets another program use the gateway's API as you, with your role ({ $role }). It stops working if your account is disabled.
token-created = Token { $name } was created. Copy it now: it will not be shown again.
copy = Copy
account-tokens-none = You have no API tokens.
token-revoke-confirm = Revoke the token { $name }? Programs using it will stop working.
token-revoke = Revoke
label-token-name = Name of a new token
token-name-hint = What it is for, for example reports-export
token-create = Create token

## Accounts
accounts-title = Accounts
accounts-password-shown = The password for { $username } is:
accounts-password-once = Give it to the person safely. It is shown only this once, and they must change it when they first log in.
accounts-count = Accounts: { $count }
accounts-role-of = Role of { $username }
accounts-change-role = Change role
state-disabled = Disabled
state-must-change = Must change password
state-active = Active
accounts-enable = Enable
accounts-disable = Disable
accounts-disable-confirm = Disable the account { $username }? They will be logged out and their tokens will stop working.
accounts-reset-confirm = Make a new password for { $username }? The old one will stop working.
accounts-reset = New password
accounts-new = New account
accounts-new-intro = A first password is made for the new account and shown once.
accounts-create = Create account

## Audit log
audit-title = Audit log
audit-intro = Every change made through the console, the API or the command line: who did it, when, and what changed.
audit-who = Who
audit-action = Action
audit-target = Target
filter = Filter
audit-none = Nothing matches.
audit-when = When
audit-result = Result
audit-change = Change
audit-ok = Done
audit-refused = Refused
audit-failed = Failed
audit-show-change = Show
audit-before = Before
audit-after = After
older = Older entries

## Messages after an action
flash-password-changed = Your password has been changed.
flash-account-created = The account was created.
flash-account-updated = The account was changed.
flash-password-reset = A new password was made.
flash-language-saved = Your language was saved.
flash-token-revoked = The token was revoked.
flash-logged-out = You have logged out.

## Inbox
nav-inbox = Inbox
inbox-title = Inbox
inbox-intro = Messages from health workers, newest first. New ones appear here as they arrive.
inbox-refresh = Refresh the page
inbox-new = A new message has arrived.
inbox-unmatched = Not understood
inbox-unmatched-hint = No automatic answer matched these messages. A person should read them and reply.
inbox-unmatched-none = Every message has had an answer.
inbox-all = All replies
inbox-none = No messages yet.
inbox-older = Older messages
inbox-reply-to = Reply to { $name }
inbox-send = Send
text-empty = Write a message before sending.
reply-not-sent = This health worker has stopped messages, is blocked or has no phone number, so nothing was sent.
flash-reply-sent = Your reply is being sent.
