skip-to-content = Hoppa till innehållet
menu = Meny
nav-label = Huvudmeny
nav-dashboard = Översikt
nav-settings = Inställningar
nav-settings-users = Användare
nav-staff-sellers = Säljare
logout = Logga ut
language = Språk:
language-fr = Français
language-en = English
language-sv = Svenska
dev-mailbox = Utvecklingsbrevlåda
back-home = Tillbaka till start
cancel = Avbryt
actions = Åtgärder

error-not-found-title = Sidan hittades inte
error-not-found = Sidan finns inte eller så har du inte åtkomst till den.
error-forbidden-title = Åtkomst nekad
error-forbidden = Din roll ger inte åtkomst till den här sidan.
error-csrf-title = Formuläret har gått ut
error-csrf = Formuläret kunde inte verifieras. Ladda om sidan och försök igen: inget har sparats.
error-internal-title = Något gick fel
error-internal = Vi kunde inte behandla begäran. Försök igen om en stund.

field-email = E-postadress
field-password = Lösenord
field-new-password = Nytt lösenord
field-password-confirmation = Bekräfta lösenordet
field-company_name = Företagsnamn
field-name = För- och efternamn
field-role = Roll
password-hint = Minst 10 tecken.

login-title = Logga in
login-submit = Logga in
forgot-link = Glömt lösenordet?
signup-link = Skapa ett konto
have-account = Har du redan ett konto? Logga in
signup-title = Skapa ditt Encaisse-konto
signup-lead = Ditt företag och din administratörsåtkomst, på en minut.
signup-submit = Skapa mitt konto
signup-done-title = Kontrollera din inkorg
signup-done-text = Vi har skickat en aktiveringslänk till { $email }. Öppna den för att aktivera ditt konto.
activate-title = Aktivera ditt konto
activate-choose-password = Välj ditt lösenord för att aktivera ditt konto.
activate-confirm = Bekräfta aktiveringen av ditt konto.
activate-submit = Aktivera mitt konto
dead-link-title = Ogiltig eller utgången länk
dead-link-text = Länken har redan använts eller är inte längre giltig. Be om en ny.
forgot-title = Glömt lösenordet
forgot-lead = Ange din e-postadress: om ett konto finns får du en länk för att välja ett nytt lösenord.
forgot-submit = Skicka länken
reset-title = Välj ett nytt lösenord
reset-submit = Spara lösenordet

flash-account-activated = Ditt konto är aktiverat. Du kan logga in.
flash-logged-out = Du är utloggad.
flash-reset-sent = Om ett konto finns för adressen har en återställningslänk just skickats.
flash-password-changed = Lösenordet är ändrat. Logga in med det nya lösenordet.
flash-user-invited = Inbjudan skickad.
flash-role-changed = Rollen är ändrad.
flash-user-removed = Användaren är borttagen.

err-required = Fältet är obligatoriskt.
err-too-long = Fältet är för långt.
err-email-required = E-postadressen är obligatorisk.
err-email-invalid = Ogiltig e-postadress (exempel: namn@foretag.se).
err-email-taken = Det finns redan ett konto med den här e-postadressen.
err-password-too-short = Lösenordet måste ha minst 10 tecken.
err-password-too-long = Lösenordet får ha högst 128 tecken.
err-password-mismatch = Lösenorden stämmer inte överens.
err-role-invalid = Okänd roll.
err-last-admin = Inte möjligt: företaget måste ha minst en aktiv administratör.
err-self-removal = Du kan inte ta bort ditt eget konto; be en annan administratör.
err-confirmation-required = Kryssa i rutan för att bekräfta.
err-login-failed = Fel e-postadress eller lösenord.
err-login-not-activated = Ditt konto är inte aktiverat ännu: öppna länken du fick via e-post.
err-login-throttled = För många inloggningsförsök. Försök igen om 15 minuter.

dashboard-welcome = Hej { $name }.
dashboard-company = Företag
dashboard-team = Team
dashboard-team-active = { $count ->
    [one] { $count } aktiv användare
   *[other] { $count } aktiva användare
}
dashboard-team-pending = { $count ->
    [one] { $count } väntande inbjudan
   *[other] { $count } väntande inbjudningar
}
dashboard-manage-users = Hantera användare

users-invite = Bjud in en användare
users-invite-lead = Personen får ett e-postmeddelande med en länk för att välja sitt lösenord.
users-invite-submit = Skicka inbjudan
users-status = Status
users-active = Aktiv
users-invited = Inbjuden
users-you = du
users-change-role = Ändra
users-remove = Ta bort
users-remove-title = Ta bort { $name }?
users-remove-warning = { $name } ({ $email }) förlorar åtkomsten till företaget. Öppna sessioner stängs.
users-remove-confirm = Jag bekräftar att användaren ska tas bort.
users-remove-submit = Ta bort användaren
role-admin = Administratör
role-member = Medlem
role-admin-hint = inställningar, användare, bankuppgifter
role-member-hint = den dagliga faktureringen

staff-created = Registrerad
staff-users = Användare
staff-admins = Administratörer
staff-no-sellers = Inga säljare har registrerat sig ännu.

dev-mailbox-lead = E-post som appen skickar under utveckling (ingen SMTP-server konfigurerad).
dev-mailbox-empty = Inga meddelanden.
mail-date = Datum
mail-to = Mottagare
mail-subject = Ämne
mail-status = Status
mail-error = Senaste fel
mail-attachments = Bilagor
mail-text = Ren text
mail-status-pending = Väntar
mail-status-sending = Skickas
mail-status-sent = Skickat
mail-status-failed = Misslyckades

mail-hello = Hej { $name },
mail-ignore = Om du inte har begärt detta kan du ignorera meddelandet.
mail-link-validity-days = Länken är giltig i { $days } dagar.
mail-link-validity-minutes = Länken är giltig i { $minutes } minuter.
mail-account_activation-subject = Aktivera ditt Encaisse-konto
mail-account_activation-body = Välkommen till Encaisse! Öppna den här länken för att aktivera kontot för { $company }:
mail-account_activation-button = Aktivera mitt konto
mail-user_invitation-subject = Inbjudan att gå med i { $company } på Encaisse
mail-user_invitation-body = { $inviter } bjuder in dig att gå med i { $company } på Encaisse.
mail-user_invitation-role = Din roll:
mail-user_invitation-button = Välj mitt lösenord
mail-password_reset-subject = Återställ ditt Encaisse-lösenord
mail-password_reset-body = Öppna den här länken för att välja ett nytt lösenord:
mail-password_reset-button = Välj ett nytt lösenord
