# La console, en français. Chaque clé existe aussi en en, sw et pt.

product-tagline = messages aux agents de santé
skip-to-content = Aller au contenu principal
nav-label = Menu principal
nav-home = Accueil
nav-audit = Journal des actions
nav-accounts = Comptes
nav-my-account = Mon compte
nav-language = Langue
logout = Se déconnecter
footer-timezone = Toutes les heures sont à l'heure de { $zone }.

## Erreurs
error-go-home = Retour à l'accueil
error-go-login = Aller à la page de connexion
error-code = Code d'erreur { $code }
error-401-title = Veuillez vous connecter
error-401-text = Vous n'êtes pas connecté, ou votre session a pris fin. Connectez-vous et réessayez.
error-403-title = Action non autorisée
error-403-text = Votre compte ne permet pas cette action. Demandez à un administrateur si vous en avez besoin.
error-csrf-text = Ce formulaire a expiré ou ne vient pas de ce site : rien n'a été modifié. Revenez en arrière, rechargez la page et réessayez.
error-csrf-login-text = Le formulaire de connexion a expiré. Rechargez la page et connectez-vous à nouveau.
error-404-title = Page introuvable
error-404-text = Il n'y a pas de page à cette adresse. Vérifiez l'adresse, ou partez de l'accueil.
error-429-title = Trop de tentatives
error-429-text = Il y a eu trop de connexions échouées. Vous pourrez réessayer le { $time }.
error-429-minutes = C'est dans environ { $minutes } minutes.
error-500-title = Une erreur s'est produite
error-500-text = La passerelle n'a pas pu terminer cette demande. Rien n'est perdu ; réessayez dans un instant. Le problème a été enregistré.
error-not-found = Cet élément n'existe plus.
form-has-errors = Rien n'a été enregistré. Corrigez les champs signalés ci-dessous.
error-check-field = Vérifiez ce champ

## Connexion
login-title = Connexion
login-intro = Connectez-vous pour envoyer des messages aux agents de santé et suivre leurs réponses.
label-username = Nom d'utilisateur
label-password = Mot de passe
login-submit = Se connecter
login-help = Mot de passe oublié ? Demandez à un administrateur de le réinitialiser.
login-failed = Le nom d'utilisateur ou le mot de passe est incorrect.

## Mots de passe
password-title = Changer votre mot de passe
password-forced = Ce mot de passe a été choisi pour vous. Choisissez maintenant votre propre mot de passe pour continuer.
label-current-password = Mot de passe actuel
label-new-password = Nouveau mot de passe
label-confirm-password = Nouveau mot de passe, encore une fois
password-rules = Au moins 10 caractères. Quelques mots dont vous vous souviendrez sont un bon choix.
password-submit = Changer le mot de passe
password-confirm-differs = Les deux nouveaux mots de passe ne sont pas identiques.
password-too-short = Le mot de passe doit contenir au moins 10 caractères.
password-too-long = Le mot de passe doit contenir au plus 200 caractères.
password-is-username = Le mot de passe ne doit pas être le nom d'utilisateur.
password-common = Ce mot de passe est trop courant. Choisissez-en un autre.
password-current-wrong = Ce n'est pas votre mot de passe actuel.
password-same = Le nouveau mot de passe doit être différent de l'actuel.

## Problèmes de champs
username-length = Le nom d'utilisateur doit contenir de 1 à 64 caractères.
username-characters = Utilisez seulement des lettres minuscules, des chiffres, des points, des tirets et des tirets bas.
username-taken = Ce nom d'utilisateur est déjà pris. Choisissez-en un autre.
username-hint = Lettres minuscules, chiffres, points, tirets et tirets bas, par exemple amina.juma
token-name-characters = Utilisez seulement des lettres, des chiffres, des points, des tirets et des tirets bas.
token-name-taken = Un jeton porte déjà ce nom. Choisissez un autre nom.
display-name-length = Le nom doit contenir de 1 à 100 caractères.
last-admin = C'est le dernier compte administrateur. Faites d'abord d'un autre compte un administrateur.
language-unknown = Choisissez une des langues de la liste.
role-unknown = Choisissez un des rôles de la liste.

## Rôles
role-viewer = Lecteur
role-sender = Expéditeur
role-admin = Administrateur
role-hint = Les lecteurs peuvent seulement consulter. Les expéditeurs peuvent aussi envoyer des messages et gérer les agents de santé et les groupes. Les administrateurs peuvent aussi gérer les comptes et les réglages.

## Accueil
home-title = Vue d'ensemble
home-links = Liaisons opérateurs
link-up = En service
link-off = Désactivée
link-down = Hors service
link-rate = { $rate } messages par seconde
link-no-limit = Pas de limite de vitesse
home-today = Messages d'aujourd'hui
home-today-none = Aucun message n'a été envoyé aujourd'hui.
home-today-total = Messages envoyés aujourd'hui : { $count }
col-status = État
col-messages = Messages
home-sends = Derniers envois
home-sends-none = Rien n'a encore été envoyé.
col-message = Message
col-recipients = Destinataires
col-delivered = Remis
col-failed = Échoués
col-created = Créé le
col-name = Nom
col-actions = Actions
col-state = État

## États
status-pending = En attente
status-scheduled = Programmé
status-recurring = Répété
status-sending = En cours d'envoi
status-completed = Terminé
status-cancelled = Annulé
status-queued = En file d'attente
status-wired = En cours d'envoi
status-sent = Envoyé
status-delivered = Remis
status-errored = Nouvel essai prévu
status-failed = Échoué
status-expired = Expiré
status-handled = Traité

## Mon compte
account-title = Mon compte
label-display-name = Nom
label-role = Rôle
account-password = Mot de passe
account-change-password = Changer mon mot de passe
account-language = Langue
label-language = Langue de la console
language-browser = La langue du navigateur
save = Enregistrer
account-tokens = Jetons d'API
account-tokens-intro = Un jeton permet à un autre programme d'utiliser l'API de la passerelle en votre nom, avec votre rôle ({ $role }). Il cesse de fonctionner si votre compte est désactivé.
token-created = Le jeton { $name } a été créé. Copiez-le maintenant : il ne sera plus affiché.
copy = Copier
account-tokens-none = Vous n'avez aucun jeton d'API.
token-revoke-confirm = Révoquer le jeton { $name } ? Les programmes qui l'utilisent cesseront de fonctionner.
token-revoke = Révoquer
label-token-name = Nom d'un nouveau jeton
token-name-hint = À quoi il sert, par exemple export-rapports
token-create = Créer un jeton

## Comptes
accounts-title = Comptes
accounts-password-shown = Le mot de passe de { $username } est :
accounts-password-once = Remettez-le à la personne de façon sûre. Il n'est affiché qu'une fois, et elle devra le changer à sa première connexion.
accounts-count = Comptes : { $count }
accounts-role-of = Rôle de { $username }
accounts-change-role = Changer le rôle
state-disabled = Désactivé
state-must-change = Doit changer son mot de passe
state-active = Actif
accounts-enable = Réactiver
accounts-disable = Désactiver
accounts-disable-confirm = Désactiver le compte { $username } ? La personne sera déconnectée et ses jetons cesseront de fonctionner.
accounts-reset-confirm = Créer un nouveau mot de passe pour { $username } ? L'ancien cessera de fonctionner.
accounts-reset = Nouveau mot de passe
accounts-new = Nouveau compte
accounts-new-intro = Un premier mot de passe est créé pour le nouveau compte et affiché une seule fois.
accounts-create = Créer le compte

## Journal des actions
audit-title = Journal des actions
audit-intro = Chaque modification faite par la console, l'API ou la ligne de commande : qui l'a faite, quand, et ce qui a changé.
audit-who = Qui
audit-action = Action
audit-target = Cible
filter = Filtrer
audit-none = Aucun résultat.
audit-when = Quand
audit-result = Résultat
audit-change = Modification
audit-ok = Fait
audit-refused = Refusé
audit-failed = Échoué
audit-show-change = Afficher
audit-before = Avant
audit-after = Après
older = Entrées plus anciennes

## Messages après une action
flash-password-changed = Votre mot de passe a été changé.
flash-account-created = Le compte a été créé.
flash-account-updated = Le compte a été modifié.
flash-password-reset = Un nouveau mot de passe a été créé.
flash-language-saved = Votre langue a été enregistrée.
flash-token-revoked = Le jeton a été révoqué.
flash-logged-out = Vous êtes déconnecté.

## Inbox
nav-inbox = Messages reçus
inbox-title = Messages reçus
inbox-intro = Les messages des agents de santé, les plus récents d'abord. Les nouveaux apparaissent ici dès leur arrivée.
inbox-refresh = Actualiser la page
inbox-new = Un nouveau message est arrivé.
inbox-unmatched = Non compris
inbox-unmatched-hint = Aucune réponse automatique ne correspond à ces messages. Une personne doit les lire et y répondre.
inbox-unmatched-none = Tous les messages ont reçu une réponse.
inbox-all = Toutes les réponses
inbox-none = Aucun message pour l'instant.
inbox-older = Messages plus anciens
inbox-reply-to = Répondre à { $name }
inbox-send = Envoyer
text-empty = Écrivez un message avant de l'envoyer.
reply-not-sent = Cet agent de santé a arrêté les messages, est bloqué ou n'a pas de numéro de téléphone : rien n'a été envoyé.
flash-reply-sent = Votre réponse est en cours d'envoi.
