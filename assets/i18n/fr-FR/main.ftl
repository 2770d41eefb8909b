skip-to-content = Aller au contenu
menu = Menu
nav-label = Navigation principale
nav-dashboard = Synthèse
nav-settings = Paramètres
nav-settings-users = Utilisateurs
nav-staff-sellers = Vendeurs
logout = Se déconnecter
language = Langue :
language-fr = Français
language-en = English
language-sv = Svenska
dev-mailbox = Boîte de développement
back-home = Retour à l'accueil
cancel = Annuler
actions = Actions

error-not-found-title = Page introuvable
error-not-found = Cette page n'existe pas ou vous n'y avez pas accès.
error-forbidden-title = Accès refusé
error-forbidden = Votre rôle ne permet pas d'ouvrir cette page.
error-csrf-title = Formulaire expiré
error-csrf = Le formulaire n'a pas pu être vérifié. Rechargez la page et réessayez : rien n'a été enregistré.
error-internal-title = Une erreur est survenue
error-internal = Nous n'avons pas pu traiter la demande. Réessayez dans un instant.

field-email = Adresse e-mail
field-password = Mot de passe
field-new-password = Nouveau mot de passe
field-password-confirmation = Confirmez le mot de passe
field-company_name = Raison sociale
field-name = Nom et prénom
field-role = Rôle
password-hint = Au moins 10 caractères.

login-title = Connexion
login-submit = Se connecter
forgot-link = Mot de passe oublié ?
signup-link = Créer un compte
have-account = Déjà un compte ? Se connecter
signup-title = Créer votre compte Encaisse
signup-lead = Votre entreprise et votre accès administrateur, en une minute.
signup-submit = Créer mon compte
signup-done-title = Vérifiez votre boîte mail
signup-done-text = Nous avons envoyé un lien d'activation à { $email }. Ouvrez-le pour activer votre compte.
activate-title = Activer votre compte
activate-choose-password = Choisissez votre mot de passe pour activer votre compte.
activate-confirm = Confirmez l'activation de votre compte.
activate-submit = Activer mon compte
dead-link-title = Lien invalide ou expiré
dead-link-text = Ce lien a déjà été utilisé ou n'est plus valable. Demandez-en un nouveau.
forgot-title = Mot de passe oublié
forgot-lead = Indiquez votre adresse e-mail : si un compte existe, vous recevrez un lien pour choisir un nouveau mot de passe.
forgot-submit = Recevoir le lien
reset-title = Choisir un nouveau mot de passe
reset-submit = Enregistrer le mot de passe

flash-account-activated = Votre compte est activé. Vous pouvez vous connecter.
flash-logged-out = Vous êtes déconnecté.
flash-reset-sent = Si un compte existe pour cette adresse, un lien de réinitialisation vient d'être envoyé.
flash-password-changed = Mot de passe modifié. Connectez-vous avec le nouveau mot de passe.
flash-user-invited = Invitation envoyée.
flash-role-changed = Rôle modifié.
flash-user-removed = Utilisateur supprimé.

err-required = Ce champ est obligatoire.
err-too-long = Ce champ est trop long.
err-email-required = L'adresse e-mail est obligatoire.
err-email-invalid = Adresse e-mail invalide (exemple : nom@entreprise.fr).
err-email-taken = Un compte existe déjà avec cette adresse e-mail.
err-password-too-short = Le mot de passe doit contenir au moins 10 caractères.
err-password-too-long = Le mot de passe doit contenir au plus 128 caractères.
err-password-mismatch = Les deux mots de passe ne correspondent pas.
err-role-invalid = Rôle inconnu.
err-last-admin = Impossible : l'entreprise doit garder au moins un administrateur actif.
err-self-removal = Vous ne pouvez pas supprimer votre propre compte ; demandez à un autre administrateur.
err-confirmation-required = Cochez la case pour confirmer.
err-login-failed = Adresse e-mail ou mot de passe incorrect.
err-login-not-activated = Votre compte n'est pas encore activé : ouvrez le lien reçu par e-mail.
err-login-throttled = Trop de tentatives de connexion. Réessayez dans 15 minutes.

dashboard-welcome = Bonjour { $name }.
dashboard-company = Entreprise
dashboard-team = Équipe
dashboard-team-active = { $count ->
    [one] { $count } utilisateur actif
   *[other] { $count } utilisateurs actifs
}
dashboard-team-pending = { $count ->
    [one] { $count } invitation en attente
   *[other] { $count } invitations en attente
}
dashboard-manage-users = Gérer les utilisateurs

users-invite = Inviter un utilisateur
users-invite-lead = La personne reçoit un e-mail avec un lien pour choisir son mot de passe.
users-invite-submit = Envoyer l'invitation
users-status = Statut
users-active = Actif
users-invited = Invité
users-you = vous
users-change-role = Modifier
users-remove = Supprimer
users-remove-title = Supprimer { $name } ?
users-remove-warning = { $name } ({ $email }) n'aura plus accès à l'entreprise. Ses sessions ouvertes sont fermées.
users-remove-confirm = Je confirme la suppression de cet utilisateur.
users-remove-submit = Supprimer l'utilisateur
role-admin = Administrateur
role-member = Membre
role-admin-hint = paramètres, utilisateurs, coordonnées bancaires
role-member-hint = facturation au quotidien

staff-created = Inscription
staff-users = Utilisateurs
staff-admins = Administrateurs
staff-no-sellers = Aucun vendeur inscrit pour l'instant.

dev-mailbox-lead = Les e-mails envoyés par l'application en développement (aucun serveur SMTP configuré).
dev-mailbox-empty = Aucun message.
mail-date = Date
mail-to = Destinataire
mail-subject = Objet
mail-status = Statut
mail-error = Dernière erreur
mail-attachments = Pièces jointes
mail-text = Texte brut
mail-status-pending = En attente
mail-status-sending = En cours d'envoi
mail-status-sent = Envoyé
mail-status-failed = Échec

mail-hello = Bonjour { $name },
mail-ignore = Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.
mail-link-validity-days = Ce lien est valable { $days } jours.
mail-link-validity-minutes = Ce lien est valable { $minutes } minutes.
mail-account_activation-subject = Activez votre compte Encaisse
mail-account_activation-body = Bienvenue sur Encaisse ! Pour activer le compte de { $company }, ouvrez ce lien :
mail-account_activation-button = Activer mon compte
mail-user_invitation-subject = Invitation à rejoindre { $company } sur Encaisse
mail-user_invitation-body = { $inviter } vous invite à rejoindre { $company } sur Encaisse.
mail-user_invitation-role = Votre rôle :
mail-user_invitation-button = Choisir mon mot de passe
mail-password_reset-subject = Réinitialisation de votre mot de passe Encaisse
mail-password_reset-body = Pour choisir un nouveau mot de passe, ouvrez ce lien :
mail-password_reset-button = Choisir un nouveau mot de passe
