# A consola, em português. Cada chave existe também em en, fr e sw.

product-tagline = mensagens para os profissionais de saúde
skip-to-content = Ir para o conteúdo principal
nav-label = Menu principal
nav-home = Início
nav-audit = Registo de ações
nav-accounts = Contas
nav-my-account = A minha conta
nav-language = Língua
logout = Sair
footer-timezone = Todas as horas estão no fuso de { $zone }.

## Erros
error-go-home = Voltar ao início
error-go-login = Ir para a página de entrada
error-code = Código de erro { $code }
error-401-title = Por favor, entre
error-401-text = Não entrou, ou a sua sessão terminou. Entre e tente de novo.
error-403-title = Não permitido
error-403-text = A sua conta não pode fazer isto. Peça a um administrador se precisar.
error-csrf-text = Este formulário expirou ou não veio deste site, por isso nada foi alterado. Volte atrás, recarregue a página e tente de novo.
error-csrf-login-text = O formulário de entrada expirou. Recarregue a página e entre de novo.
error-404-title = Página não encontrada
error-404-text = Não há nenhuma página neste endereço. Verifique o endereço, ou comece pelo início.
error-429-title = Demasiadas tentativas
error-429-text = Houve demasiadas entradas falhadas. Pode tentar de novo a partir de { $time }.
error-429-minutes = Isso é daqui a cerca de { $minutes } minutos.
error-500-title = Algo correu mal
error-500-text = A plataforma não conseguiu terminar este pedido. Nada se perdeu; tente de novo daqui a pouco. O problema foi registado.
error-not-found = Este item já não existe.
form-has-errors = Nada foi guardado. Corrija os campos assinalados abaixo.
error-check-field = Verifique este campo

## Entrar
login-title = Entrar
login-intro = Entre para enviar mensagens aos profissionais de saúde e acompanhar as suas respostas.
label-username = Nome de utilizador
label-password = Palavra-passe
login-submit = Entrar
login-help = Esqueceu a palavra-passe? Peça a um administrador para a repor.
login-failed = O nome de utilizador ou a palavra-passe está errado.

## Palavras-passe
password-title = Mudar a sua palavra-passe
password-forced = Esta palavra-passe foi escolhida para si. Escolha agora a sua própria palavra-passe para continuar.
label-current-password = Palavra-passe atual
label-new-password = Nova palavra-passe
label-confirm-password = Nova palavra-passe outra vez
password-rules = Pelo menos 10 caracteres. Algumas palavras de que se vai lembrar são uma boa escolha.
password-submit = Mudar a palavra-passe
password-confirm-differs = As duas novas palavras-passe não são iguais.
password-too-short = A palavra-passe deve ter pelo menos 10 caracteres.
password-too-long = A palavra-passe deve ter no máximo 200 caracteres.
password-is-username = A palavra-passe não pode ser o nome de utilizador.
password-common = Esta palavra-passe é demasiado comum. Escolha outra.
password-current-wrong = Esta não é a sua palavra-passe atual.
password-same = A nova palavra-passe deve ser diferente da atual.

## Problemas nos campos
username-length = O nome de utilizador deve ter de 1 a 64 caracteres.
username-characters = Use apenas letras minúsculas, algarismos, pontos, hífenes e sublinhados.
username-taken = Este nome de utilizador já está a ser usado. Escolha outro.
username-hint = Letras minúsculas, algarismos, pontos, hífenes e sublinhados, por exemplo amina.juma
token-name-characters = Use apenas letras, algarismos, pontos, hífenes e sublinhados.
token-name-taken = Já existe um token com este nome. Escolha outro nome.
display-name-length = O nome deve ter de 1 a 100 caracteres.
last-admin = Esta é a última conta de administrador. Faça primeiro de outra conta um administrador.
language-unknown = Escolha uma das línguas da lista.
role-unknown = Escolha uma das funções da lista.

## Funções
role-viewer = Leitor
role-sender = Remetente
role-admin = Administrador
role-hint = Os leitores só podem consultar. Os remetentes também podem enviar mensagens e gerir profissionais de saúde e grupos. Os administradores também podem gerir contas e definições.

## Início
home-title = Visão geral
home-links = Ligações às operadoras
link-up = A funcionar
link-off = Desligada
link-down = Sem funcionar
link-rate = { $rate } mensagens por segundo
link-no-limit = Sem limite de velocidade
home-today = Mensagens de hoje
home-today-none = Nenhuma mensagem foi enviada hoje.
home-today-total = Mensagens enviadas hoje: { $count }
col-status = Estado
col-messages = Mensagens
home-sends = Últimos envios
home-sends-none = Ainda não foi enviado nada.
col-message = Mensagem
col-recipients = Destinatários
col-delivered = Entregues
col-failed = Falhadas
col-created = Criado
col-name = Nome
col-actions = Ações
col-state = Estado

## Estados
status-pending = À espera
status-scheduled = Agendado
status-recurring = Repetido
status-sending = A enviar
status-completed = Terminado
status-cancelled = Cancelado
status-queued = Em fila
status-wired = A enviar
status-sent = Enviada
status-delivered = Entregue
status-errored = Nova tentativa prevista
status-failed = Falhada
status-expired = Expirada
status-handled = Tratada

## A minha conta
account-title = A minha conta
label-display-name = Nome
label-role = Função
account-password = Palavra-passe
account-change-password = Mudar a minha palavra-passe
account-language = Língua
label-language = Língua da consola
language-browser = A língua do navegador
save = Guardar
account-tokens = Tokens da API
account-tokens-intro = Um token permite que outro programa use a API da plataforma em seu nome, com a sua função ({ $role }). Deixa de funcionar se a sua conta for desativada.
token-created = O token { $name } foi criado. Copie-o agora: não voltará a ser mostrado.
copy = Copiar
account-tokens-none = Não tem tokens da API.
token-revoke-confirm = Revogar o token { $name }? Os programas que o usam deixarão de funcionar.
token-revoke = Revogar
label-token-name = Nome de um novo token
token-name-hint = Para que serve, por exemplo exportar-relatorios
token-create = Criar token

## Contas
accounts-title = Contas
accounts-password-shown = A palavra-passe de { $username } é:
accounts-password-once = Entregue-a à pessoa de forma segura. Só é mostrada esta vez, e a pessoa deve mudá-la na primeira entrada.
accounts-count = Contas: { $count }
accounts-role-of = Função de { $username }
accounts-change-role = Mudar a função
state-disabled = Desativada
state-must-change = Deve mudar a palavra-passe
state-active = Ativa
accounts-enable = Ativar
accounts-disable = Desativar
accounts-disable-confirm = Desativar a conta { $username }? A pessoa sairá da sessão e os seus tokens deixarão de funcionar.
accounts-reset-confirm = Criar uma nova palavra-passe para { $username }? A antiga deixará de funcionar.
accounts-reset = Nova palavra-passe
accounts-new = Nova conta
accounts-new-intro = É criada uma primeira palavra-passe para a nova conta, mostrada uma única vez.
accounts-create = Criar conta

## Registo de ações
audit-title = Registo de ações
audit-intro = Cada alteração feita pela consola, pela API ou pela linha de comandos: quem a fez, quando, e o que mudou.
audit-who = Quem
audit-action = Ação
audit-target = Alvo
filter = Filtrar
audit-none = Nada corresponde.
audit-when = Quando
audit-result = Resultado
audit-change = Alteração
audit-ok = Feito
audit-refused = Recusado
audit-failed = Falhou
audit-show-change = Mostrar
audit-before = Antes
audit-after = Depois
older = Entradas mais antigas

## Mensagens depois de uma ação
flash-password-changed = A sua palavra-passe foi mudada.
flash-account-created = A conta foi criada.
flash-account-updated = A conta foi alterada.
flash-password-reset = Foi criada uma nova palavra-passe.
flash-language-saved = A sua língua foi guardada.
flash-token-revoked = O token foi revogado.
flash-logged-out = Saiu da sessão.

## Inbox
nav-inbox = Caixa de entrada
inbox-title = Caixa de entrada
inbox-intro = Mensagens dos profissionais de saúde, as mais recentes primeiro. As novas aparecem aqui assim que chegam.
inbox-refresh = Atualizar a página
inbox-new = Chegou uma nova mensagem.
inbox-unmatched = Não compreendidas
inbox-unmatched-hint = Nenhuma resposta automática correspondeu a estas mensagens. Uma pessoa deve lê-las e responder.
inbox-unmatched-none = Todas as mensagens tiveram resposta.
inbox-all = Todas as respostas
inbox-none = Ainda não há mensagens.
inbox-older = Mensagens mais antigas
inbox-reply-to = Responder a { $name }
inbox-send = Enviar
text-empty = Escreva uma mensagem antes de enviar.
reply-not-sent = Este profissional de saúde parou as mensagens, está bloqueado ou não tem número de telefone, por isso nada foi enviado.
flash-reply-sent = A sua resposta está a ser enviada.
