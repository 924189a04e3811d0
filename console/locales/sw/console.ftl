# Dashibodi kwa Kiswahili. Kila ufunguo upo pia katika en, fr na pt.

product-tagline = ujumbe kwa wahudumu wa afya
skip-to-content = Ruka hadi maudhui makuu
nav-label = Menyu kuu
nav-home = Mwanzo
nav-audit = Kumbukumbu za vitendo
nav-accounts = Akaunti
nav-my-account = Akaunti yangu
nav-language = Lugha
logout = Toka
footer-timezone = Saa zote ni za { $zone }.

## Makosa
error-go-home = Rudi mwanzo
error-go-login = Nenda kwenye ukurasa wa kuingia
error-code = Msimbo wa kosa { $code }
error-401-title = Tafadhali ingia
error-401-text = Hujaingia, au muda wako wa kuingia umekwisha. Ingia kisha ujaribu tena.
error-403-title = Hairuhusiwi
error-403-text = Akaunti yako hairuhusiwi kufanya hivi. Muulize msimamizi kama unahitaji.
error-csrf-text = Fomu hii imepitwa na wakati au haikutoka kwenye tovuti hii, kwa hiyo hakuna kilichobadilishwa. Rudi nyuma, pakia ukurasa upya kisha ujaribu tena.
error-csrf-login-text = Fomu ya kuingia imepitwa na wakati. Pakia ukurasa upya kisha uingie tena.
error-404-title = Ukurasa haupatikani
error-404-text = Hakuna ukurasa kwenye anwani hii. Hakikisha anwani, au anza kutoka mwanzo.
error-429-title = Majaribio mengi mno
error-429-text = Kumekuwa na majaribio mengi ya kuingia yaliyoshindwa. Unaweza kujaribu tena kuanzia { $time }.
error-429-minutes = Hiyo ni baada ya takriban dakika { $minutes }.
error-500-title = Kuna hitilafu
error-500-text = Lango halikuweza kumaliza ombi hili. Hakuna kilichopotea; jaribu tena baada ya muda mfupi. Tatizo limeandikwa.
error-not-found = Kitu hiki hakipo tena.
form-has-errors = Hakuna kilichohifadhiwa. Tafadhali sahihisha sehemu zilizoonyeshwa hapa chini.
error-check-field = Tafadhali angalia sehemu hii

## Kuingia
login-title = Ingia
login-intro = Ingia ili kutuma ujumbe kwa wahudumu wa afya na kufuatilia majibu yao.
label-username = Jina la mtumiaji
label-password = Nenosiri
login-submit = Ingia
login-help = Umesahau nenosiri lako? Muombe msimamizi akuwekee jipya.
login-failed = Jina la mtumiaji au nenosiri si sahihi.

## Nenosiri
password-title = Badilisha nenosiri lako
password-forced = Nenosiri hili lilichaguliwa kwa ajili yako. Chagua nenosiri lako mwenyewe sasa ili kuendelea.
label-current-password = Nenosiri la sasa
label-new-password = Nenosiri jipya
label-confirm-password = Nenosiri jipya tena
password-rules = Angalau herufi 10. Maneno machache utakayoyakumbuka ni chaguo zuri.
password-submit = Badilisha nenosiri
password-confirm-differs = Manenosiri mawili mapya hayafanani.
password-too-short = Nenosiri lazima liwe na angalau herufi 10.
password-too-long = Nenosiri lisizidi herufi 200.
password-is-username = Nenosiri lisiwe sawa na jina la mtumiaji.
password-common = Nenosiri hili linatumika sana. Chagua jingine.
password-current-wrong = Hili si nenosiri lako la sasa.
password-same = Nenosiri jipya lazima litofautiane na la sasa.

## Matatizo ya sehemu
username-length = Jina la mtumiaji liwe na herufi 1 hadi 64.
username-characters = Tumia herufi ndogo, tarakimu, nukta, vistari na mistari ya chini tu.
username-taken = Jina hili la mtumiaji tayari linatumika. Chagua jingine.
username-hint = Herufi ndogo, tarakimu, nukta, vistari na mistari ya chini, kwa mfano amina.juma
token-name-characters = Tumia herufi, tarakimu, nukta, vistari na mistari ya chini tu.
token-name-taken = Tokeni yenye jina hili tayari ipo. Chagua jina jingine.
display-name-length = Jina liwe na herufi 1 hadi 100.
last-admin = Hii ni akaunti ya mwisho ya msimamizi. Kwanza mfanye mtu mwingine kuwa msimamizi.
language-unknown = Chagua mojawapo ya lugha zilizo kwenye orodha.
role-unknown = Chagua mojawapo ya majukumu yaliyo kwenye orodha.

## Majukumu
role-viewer = Mtazamaji
role-sender = Mtumaji
role-admin = Msimamizi
role-hint = Watazamaji wanaweza kuangalia tu. Watumaji wanaweza pia kutuma ujumbe na kusimamia wahudumu wa afya na vikundi. Wasimamizi wanaweza pia kusimamia akaunti na mipangilio.

## Mwanzo
home-title = Muhtasari
home-links = Viunganishi vya mitandao ya simu
link-up = Kinafanya kazi
link-off = Kimezimwa
link-down = Hakifanyi kazi
link-rate = Ujumbe { $rate } kwa sekunde
link-no-limit = Hakuna kikomo cha kasi
home-today = Ujumbe wa leo
home-today-none = Hakuna ujumbe uliotumwa leo.
home-today-total = Ujumbe uliotumwa leo: { $count }
col-status = Hali
col-messages = Ujumbe
home-sends = Utumaji wa karibuni
home-sends-none = Bado hakuna kilichotumwa.
col-message = Ujumbe
col-recipients = Wapokeaji
col-delivered = Umefika
col-failed = Umeshindwa
col-created = Uliundwa
col-name = Jina
col-actions = Vitendo
col-state = Hali

## Hali
status-pending = Unasubiri
status-scheduled = Umepangwa
status-recurring = Unarudiwa
status-sending = Unatumwa
status-completed = Umekamilika
status-cancelled = Umesitishwa
status-queued = Kwenye foleni
status-wired = Unatumwa
status-sent = Umetumwa
status-delivered = Umefika
status-errored = Utajaribiwa tena
status-failed = Umeshindwa
status-expired = Muda umekwisha
status-handled = Umeshughulikiwa

## Akaunti yangu
account-title = Akaunti yangu
label-display-name = Jina
label-role = Jukumu
account-password = Nenosiri
account-change-password = Badilisha nenosiri langu
account-language = Lugha
label-language = Lugha ya dashibodi
language-browser = Lugha ya kivinjari
save = Hifadhi
account-tokens = Tokeni za API
account-tokens-intro = Tokeni inaruhusu programu nyingine kutumia API ya lango kwa niaba yako, kwa jukumu lako ({ $role }). Inaacha kufanya kazi akaunti yako ikizimwa.
token-created = Tokeni { $name } imeundwa. Inakili sasa: haitaonyeshwa tena.
copy = Nakili
account-tokens-none = Huna tokeni za API.
token-revoke-confirm = Futa tokeni { $name }? Programu zinazoitumia zitaacha kufanya kazi.
token-revoke = Futa
label-token-name = Jina la tokeni mpya
token-name-hint = Ni ya nini, kwa mfano kutoa-ripoti
token-create = Unda tokeni

## Akaunti
accounts-title = Akaunti
accounts-password-shown = Nenosiri la { $username } ni:
accounts-password-once = Mpe mhusika kwa usalama. Linaonyeshwa mara hii moja tu, na lazima alibadilishe atakapoingia kwa mara ya kwanza.
accounts-count = Akaunti: { $count }
accounts-role-of = Jukumu la { $username }
accounts-change-role = Badilisha jukumu
state-disabled = Imezimwa
state-must-change = Lazima abadilishe nenosiri
state-active = Inatumika
accounts-enable = Washa
accounts-disable = Zima
accounts-disable-confirm = Zima akaunti ya { $username }? Atatolewa na tokeni zake zitaacha kufanya kazi.
accounts-reset-confirm = Tengeneza nenosiri jipya kwa { $username }? La zamani litaacha kufanya kazi.
accounts-reset = Nenosiri jipya
accounts-new = Akaunti mpya
accounts-new-intro = Nenosiri la kwanza linatengenezwa kwa akaunti mpya na kuonyeshwa mara moja.
accounts-create = Unda akaunti

## Kumbukumbu za vitendo
audit-title = Kumbukumbu za vitendo
audit-intro = Kila badiliko lililofanywa kupitia dashibodi, API au mstari wa amri: nani alilifanya, lini, na nini kilibadilika.
audit-who = Nani
audit-action = Kitendo
audit-target = Kilicholengwa
filter = Chuja
audit-none = Hakuna kinacholingana.
audit-when = Lini
audit-result = Matokeo
audit-change = Badiliko
audit-ok = Imefanyika
audit-refused = Imekataliwa
audit-failed = Imeshindwa
audit-show-change = Onyesha
audit-before = Kabla
audit-after = Baada
older = Kumbukumbu za zamani zaidi

## Ujumbe baada ya kitendo
flash-password-changed = Nenosiri lako limebadilishwa.
flash-account-created = Akaunti imeundwa.
flash-account-updated = Akaunti imebadilishwa.
flash-password-reset = Nenosiri jipya limetengenezwa.
flash-language-saved = Lugha yako imehifadhiwa.
flash-token-revoked = Tokeni imefutwa.
flash-logged-out = Umetoka.

## Inbox
nav-inbox = Kikasha
inbox-title = Kikasha
inbox-intro = Ujumbe kutoka kwa wahudumu wa afya, mipya kwanza. Ujumbe mpya unaonekana hapa unapofika.
inbox-refresh = Onyesha ukurasa upya
inbox-new = Ujumbe mpya umefika.
inbox-unmatched = Haukueleweka
inbox-unmatched-hint = Hakuna jibu la moja kwa moja lililolingana na ujumbe huu. Mtu anapaswa kuusoma na kuujibu.
inbox-unmatched-none = Kila ujumbe umepata jibu.
inbox-all = Majibu yote
inbox-none = Bado hakuna ujumbe.
inbox-older = Ujumbe wa zamani zaidi
inbox-reply-to = Mjibu { $name }
inbox-send = Tuma
text-empty = Andika ujumbe kabla ya kutuma.
reply-not-sent = Mhudumu huyu wa afya amesimamisha ujumbe, amezuiwa au hana namba ya simu, kwa hiyo hakuna kilichotumwa.
flash-reply-sent = Jibu lako linatumwa.
