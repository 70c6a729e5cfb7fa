/*
 * notify_msgs.c - the notifications' strings per language.
 *
 * One table per language, indexed by enum notify_msg with designated
 * initializers: a row a table lacks is NULL and falls back to English
 * (the X-macro in notify_msgs.h), so a new key never breaks a language,
 * and notify_msgs_missing() names what is left to translate.
 */
#include "notify_msgs.h"

#include <string.h>

#include "lang.h"

static const char *const msgs_en[NMSG_COUNT] = {
#define NOTIFY_MSG_EN(e, key, en) [NMSG_##e] = en,
    NOTIFY_MSGS(NOTIFY_MSG_EN)
#undef NOTIFY_MSG_EN
};

static const char *const keys[NMSG_COUNT] = {
#define NOTIFY_MSG_KEY(e, key, en) [NMSG_##e] = key,
    NOTIFY_MSGS(NOTIFY_MSG_KEY)
#undef NOTIFY_MSG_KEY
};

static const char *const msgs_de[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "Störung",
    [NMSG_KIND_MAINTENANCE] = "Geplante Wartung",
    [NMSG_LABEL_STATUS] = "Status",
    [NMSG_LABEL_AFFECTED] = "Betroffen",
    [NMSG_LABEL_WHEN] = "Zeitraum",
    [NMSG_LABEL_PAGE] = "Statusseite",
    [NMSG_LABEL_UNSUBSCRIBE] = "Abbestellen",
    [NMSG_VIEW_PAGE] = "Statusseite öffnen",
    [NMSG_UNSUBSCRIBE_LINK] = "Diese Benachrichtigungen abbestellen",
    [NMSG_WINDOW] = "{1} bis {2}",
    [NMSG_WINDOW_OPEN] = "(offen)",
    [NMSG_STARTS_IN_ONE] = "Beginnt in {1} Minute",
    [NMSG_STARTS_IN_OTHER] = "Beginnt in {1} Minuten",
    [NMSG_ST_INVESTIGATING] = "Wird untersucht",
    [NMSG_ST_IDENTIFIED] = "Ursache erkannt",
    [NMSG_ST_MONITORING] = "Wird beobachtet",
    [NMSG_ST_RESOLVED] = "Behoben",
    [NMSG_ST_POSTMORTEM] = "Nachbetrachtung",
    [NMSG_ST_SCHEDULED] = "Geplant",
    [NMSG_ST_IN_PROGRESS] = "Läuft",
    [NMSG_ST_VERIFYING] = "Wird überprüft",
    [NMSG_ST_COMPLETED] = "Abgeschlossen",
    [NMSG_ST_UPDATE] = "Aktualisierung",
    [NMSG_CONFIRM_SUBJECT] = "Bitte bestätigen Sie Ihr Abonnement",
    [NMSG_CONFIRM_ASKED] = "Jemand, hoffentlich Sie, möchte die "
                           "Statusbenachrichtigungen von {1} an diese "
                           "Adresse erhalten.",
    [NMSG_CONFIRM_OPEN] = "Bestätigen Sie das Abonnement über diesen Link:",
    [NMSG_CONFIRM_LINK] = "Abonnement bestätigen",
    [NMSG_CONFIRM_IGNORE] = "Falls Sie das nicht waren, ignorieren Sie "
                            "diese Nachricht: Es wird nichts weiter "
                            "gesendet.",
    [NMSG_LINK_MISSING_T] = "Link unvollständig",
    [NMSG_LINK_MISSING] =
        "Dieser Link ist unvollständig. Kopieren Sie den ganzen Link aus "
        "der Nachricht.",
    [NMSG_LINK_UNKNOWN_T] = "Unbekannter Link",
    [NMSG_LINK_UNKNOWN_UNSUB] = "Dieser Abmeldelink ist ungültig.",
    [NMSG_LINK_UNKNOWN_CONFIRM] =
        "Dieser Bestätigungslink ist ungültig oder wurde bereits verwendet.",
    [NMSG_LINK_ERROR_T] = "Bitte später erneut versuchen",
    [NMSG_LINK_ERROR] = "Die Anfrage konnte nicht gespeichert werden.",
    [NMSG_LINK_UNSUB_T] = "Abgemeldet",
    [NMSG_LINK_UNSUB] =
        "Sie erhalten keine weiteren Benachrichtigungen von dieser "
        "Statusseite.",
    [NMSG_LINK_CONFIRMED_T] = "Abonnement bestätigt",
    [NMSG_LINK_CONFIRMED] =
        "Sie erhalten ab jetzt Benachrichtigungen über Störungen und "
        "Wartungen.",
    [NMSG_LINK_INACTIVE_T] = "Abonnement nicht aktiv",
    [NMSG_LINK_INACTIVE] =
        "Dieses Abonnement wurde gekündigt oder ausgesetzt.",
    [NMSG_LOGIN_PASSWORD] = "Passwort",
    [NMSG_LOGIN_SUBMIT] = "Anmelden",
    [NMSG_LOGIN_PRIVATE] =
        "Diese Statusseite ist privat. Öffnen Sie den Zugangslink, den "
        "Sie erhalten haben.",
    [NMSG_LOGIN_WAIT] =
        "Zu viele falsche Passwörter: Bitte in {1} s erneut versuchen.",
    [NMSG_LOGIN_UNREADABLE] = "Das Formular konnte nicht gelesen werden.",
    [NMSG_LOGIN_WRONG] = "Falsches Passwort.",
    [NMSG_LOGIN_NO_PASSWORD] = "Diese Seite hat kein Passwort.",
};

/* French puts a no-break space (U+00A0) before ':'. */
static const char *const msgs_fr[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "Incident",
    [NMSG_KIND_MAINTENANCE] = "Maintenance planifiée",
    [NMSG_LABEL_STATUS] = "Statut",
    [NMSG_LABEL_AFFECTED] = "Services concernés",
    [NMSG_LABEL_WHEN] = "Quand",
    [NMSG_LABEL_PAGE] = "Page d’état",
    [NMSG_LABEL_UNSUBSCRIBE] = "Se désabonner",
    [NMSG_VIEW_PAGE] = "Voir la page d’état",
    [NMSG_UNSUBSCRIBE_LINK] = "Se désabonner de ces notifications",
    [NMSG_WINDOW] = "du {1} au {2}",
    [NMSG_WINDOW_OPEN] = "(sans date de fin)",
    [NMSG_STARTS_IN_ONE] = "Commence dans {1} minute",
    [NMSG_STARTS_IN_OTHER] = "Commence dans {1} minutes",
    [NMSG_ST_INVESTIGATING] = "Analyse en cours",
    [NMSG_ST_IDENTIFIED] = "Cause identifiée",
    [NMSG_ST_MONITORING] = "Sous surveillance",
    [NMSG_ST_RESOLVED] = "Résolu",
    [NMSG_ST_POSTMORTEM] = "Analyse post-incident",
    [NMSG_ST_SCHEDULED] = "Planifiée",
    [NMSG_ST_IN_PROGRESS] = "En cours",
    [NMSG_ST_VERIFYING] = "Vérification en cours",
    [NMSG_ST_COMPLETED] = "Terminée",
    [NMSG_ST_UPDATE] = "Mise à jour",
    [NMSG_CONFIRM_SUBJECT] = "Confirmez votre abonnement",
    [NMSG_CONFIRM_ASKED] = "Quelqu’un, vous sans doute, a demandé à "
                           "recevoir à cette adresse les notifications "
                           "d’état de {1}.",
    [NMSG_CONFIRM_OPEN] = "Confirmez l’abonnement en ouvrant ce "
                          "lien\xc2\xa0:",
    [NMSG_CONFIRM_LINK] = "Confirmer l’abonnement",
    [NMSG_CONFIRM_IGNORE] = "Si ce n’était pas vous, ignorez ce "
                            "message\xc2\xa0: rien d’autre ne sera envoyé.",
    [NMSG_LINK_MISSING_T] = "Lien incomplet",
    [NMSG_LINK_MISSING] =
        "Ce lien est incomplet. Copiez le lien entier depuis le message.",
    [NMSG_LINK_UNKNOWN_T] = "Lien inconnu",
    [NMSG_LINK_UNKNOWN_UNSUB] = "Ce lien de désabonnement n’est pas valide.",
    [NMSG_LINK_UNKNOWN_CONFIRM] =
        "Ce lien de confirmation n’est pas valide ou a déjà été utilisé.",
    [NMSG_LINK_ERROR_T] = "Réessayez plus tard",
    [NMSG_LINK_ERROR] = "La demande n’a pas pu être enregistrée.",
    [NMSG_LINK_UNSUB_T] = "Désabonnement effectué",
    [NMSG_LINK_UNSUB] =
        "Vous ne recevrez plus de notifications de cette page d’état.",
    [NMSG_LINK_CONFIRMED_T] = "Abonnement confirmé",
    [NMSG_LINK_CONFIRMED] =
        "Vous recevrez désormais les notifications sur les incidents et les "
        "maintenances.",
    [NMSG_LINK_INACTIVE_T] = "Abonnement inactif",
    [NMSG_LINK_INACTIVE] = "Cet abonnement a été annulé ou suspendu.",
    [NMSG_LOGIN_PASSWORD] = "Mot de passe",
    [NMSG_LOGIN_SUBMIT] = "Se connecter",
    [NMSG_LOGIN_PRIVATE] =
        "Cette page d’état est privée. Ouvrez le lien d’accès qui vous a "
        "été remis.",
    [NMSG_LOGIN_WAIT] =
        "Trop de mots de passe erronés\xc2\xa0: réessayez dans "
        "{1}\xc2\xa0s.",
    [NMSG_LOGIN_UNREADABLE] = "Le formulaire n’a pas pu être lu.",
    [NMSG_LOGIN_WRONG] = "Mot de passe incorrect.",
    [NMSG_LOGIN_NO_PASSWORD] = "Cette page n’a pas de mot de passe.",
};

static const char *const msgs_es[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "Incidente",
    [NMSG_KIND_MAINTENANCE] = "Mantenimiento programado",
    [NMSG_LABEL_STATUS] = "Estado",
    [NMSG_LABEL_AFFECTED] = "Afecta a",
    [NMSG_LABEL_WHEN] = "Cuándo",
    [NMSG_LABEL_PAGE] = "Página de estado",
    [NMSG_LABEL_UNSUBSCRIBE] = "Cancelar suscripción",
    [NMSG_VIEW_PAGE] = "Ver la página de estado",
    [NMSG_UNSUBSCRIBE_LINK] = "Cancelar la suscripción a estas "
                              "notificaciones",
    [NMSG_WINDOW] = "del {1} al {2}",
    [NMSG_WINDOW_OPEN] = "(sin fin previsto)",
    [NMSG_STARTS_IN_ONE] = "Empieza en {1} minuto",
    [NMSG_STARTS_IN_OTHER] = "Empieza en {1} minutos",
    [NMSG_ST_INVESTIGATING] = "Investigando",
    [NMSG_ST_IDENTIFIED] = "Causa identificada",
    [NMSG_ST_MONITORING] = "En observación",
    [NMSG_ST_RESOLVED] = "Resuelto",
    [NMSG_ST_POSTMORTEM] = "Análisis posterior",
    [NMSG_ST_SCHEDULED] = "Programado",
    [NMSG_ST_IN_PROGRESS] = "En curso",
    [NMSG_ST_VERIFYING] = "Verificando",
    [NMSG_ST_COMPLETED] = "Completado",
    [NMSG_ST_UPDATE] = "Actualización",
    [NMSG_CONFIRM_SUBJECT] = "Confirme su suscripción",
    [NMSG_CONFIRM_ASKED] = "Alguien, probablemente usted, pidió recibir "
                           "en esta dirección las notificaciones de "
                           "estado de {1}.",
    [NMSG_CONFIRM_OPEN] = "Confirme la suscripción abriendo este enlace:",
    [NMSG_CONFIRM_LINK] = "Confirmar la suscripción",
    [NMSG_CONFIRM_IGNORE] = "Si no fue usted, ignore este mensaje: no se "
                            "enviará nada más.",
    [NMSG_LINK_MISSING_T] = "Enlace incompleto",
    [NMSG_LINK_MISSING] =
        "Este enlace está incompleto. Copie el enlace completo del mensaje.",
    [NMSG_LINK_UNKNOWN_T] = "Enlace desconocido",
    [NMSG_LINK_UNKNOWN_UNSUB] =
        "Este enlace para cancelar la suscripción no es válido.",
    [NMSG_LINK_UNKNOWN_CONFIRM] =
        "Este enlace de confirmación no es válido o ya se utilizó.",
    [NMSG_LINK_ERROR_T] = "Inténtelo más tarde",
    [NMSG_LINK_ERROR] = "No se pudo registrar la solicitud.",
    [NMSG_LINK_UNSUB_T] = "Suscripción cancelada",
    [NMSG_LINK_UNSUB] =
        "No recibirá más notificaciones de esta página de estado.",
    [NMSG_LINK_CONFIRMED_T] = "Suscripción confirmada",
    [NMSG_LINK_CONFIRMED] =
        "A partir de ahora recibirá notificaciones sobre incidentes y "
        "mantenimientos.",
    [NMSG_LINK_INACTIVE_T] = "Suscripción inactiva",
    [NMSG_LINK_INACTIVE] = "Esta suscripción se canceló o se suspendió.",
    [NMSG_LOGIN_PASSWORD] = "Contraseña",
    [NMSG_LOGIN_SUBMIT] = "Iniciar sesión",
    [NMSG_LOGIN_PRIVATE] =
        "Esta página de estado es privada. Abra el enlace de acceso que "
        "recibió.",
    [NMSG_LOGIN_WAIT] =
        "Demasiadas contraseñas incorrectas: vuelva a intentarlo en {1} "
        "s.",
    [NMSG_LOGIN_UNREADABLE] = "No se pudo leer el formulario.",
    [NMSG_LOGIN_WRONG] = "Contraseña incorrecta.",
    [NMSG_LOGIN_NO_PASSWORD] = "Esta página no tiene contraseña.",
};

static const char *const msgs_pt_br[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "Incidente",
    [NMSG_KIND_MAINTENANCE] = "Manutenção programada",
    [NMSG_LABEL_STATUS] = "Status",
    [NMSG_LABEL_AFFECTED] = "Afeta",
    [NMSG_LABEL_WHEN] = "Quando",
    [NMSG_LABEL_PAGE] = "Página de status",
    [NMSG_LABEL_UNSUBSCRIBE] = "Cancelar inscrição",
    [NMSG_VIEW_PAGE] = "Ver a página de status",
    [NMSG_UNSUBSCRIBE_LINK] = "Cancelar a inscrição nestas notificações",
    [NMSG_WINDOW] = "de {1} a {2}",
    [NMSG_WINDOW_OPEN] = "(sem término previsto)",
    [NMSG_STARTS_IN_ONE] = "Começa em {1} minuto",
    [NMSG_STARTS_IN_OTHER] = "Começa em {1} minutos",
    [NMSG_ST_INVESTIGATING] = "Investigando",
    [NMSG_ST_IDENTIFIED] = "Causa identificada",
    [NMSG_ST_MONITORING] = "Monitorando",
    [NMSG_ST_RESOLVED] = "Resolvido",
    [NMSG_ST_POSTMORTEM] = "Análise pós-incidente",
    [NMSG_ST_SCHEDULED] = "Programada",
    [NMSG_ST_IN_PROGRESS] = "Em andamento",
    [NMSG_ST_VERIFYING] = "Verificando",
    [NMSG_ST_COMPLETED] = "Concluída",
    [NMSG_ST_UPDATE] = "Atualização",
    [NMSG_CONFIRM_SUBJECT] = "Confirme sua inscrição",
    [NMSG_CONFIRM_ASKED] = "Alguém, provavelmente você, pediu para receber "
                           "neste endereço as notificações de status de "
                           "{1}.",
    [NMSG_CONFIRM_OPEN] = "Confirme a inscrição abrindo este link:",
    [NMSG_CONFIRM_LINK] = "Confirmar a inscrição",
    [NMSG_CONFIRM_IGNORE] = "Se não foi você, ignore esta mensagem: nada "
                            "mais será enviado.",
    [NMSG_LINK_MISSING_T] = "Link incompleto",
    [NMSG_LINK_MISSING] =
        "Este link está incompleto. Copie o link inteiro da mensagem.",
    [NMSG_LINK_UNKNOWN_T] = "Link desconhecido",
    [NMSG_LINK_UNKNOWN_UNSUB] = "Este link de cancelamento não é válido.",
    [NMSG_LINK_UNKNOWN_CONFIRM] =
        "Este link de confirmação não é válido ou já foi usado.",
    [NMSG_LINK_ERROR_T] = "Tente novamente mais tarde",
    [NMSG_LINK_ERROR] = "Não foi possível registrar a solicitação.",
    [NMSG_LINK_UNSUB_T] = "Inscrição cancelada",
    [NMSG_LINK_UNSUB] =
        "Você não receberá mais notificações desta página de status.",
    [NMSG_LINK_CONFIRMED_T] = "Inscrição confirmada",
    [NMSG_LINK_CONFIRMED] =
        "A partir de agora você receberá notificações sobre incidentes e "
        "manutenções.",
    [NMSG_LINK_INACTIVE_T] = "Inscrição inativa",
    [NMSG_LINK_INACTIVE] = "Esta inscrição foi cancelada ou suspensa.",
    [NMSG_LOGIN_PASSWORD] = "Senha",
    [NMSG_LOGIN_SUBMIT] = "Entrar",
    [NMSG_LOGIN_PRIVATE] =
        "Esta página de status é privada. Abra o link de acesso que você "
        "recebeu.",
    [NMSG_LOGIN_WAIT] = "Muitas senhas incorretas: tente novamente em {1} s.",
    [NMSG_LOGIN_UNREADABLE] = "Não foi possível ler o formulário.",
    [NMSG_LOGIN_WRONG] = "Senha incorreta.",
    [NMSG_LOGIN_NO_PASSWORD] = "Esta página não tem senha.",
};

static const char *const msgs_ja[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "障害",
    [NMSG_KIND_MAINTENANCE] = "計画メンテナンス",
    [NMSG_LABEL_STATUS] = "ステータス",
    [NMSG_LABEL_AFFECTED] = "影響範囲",
    [NMSG_LABEL_WHEN] = "日時",
    [NMSG_LABEL_PAGE] = "ステータスページ",
    [NMSG_LABEL_UNSUBSCRIBE] = "配信停止",
    [NMSG_VIEW_PAGE] = "ステータスページを見る",
    [NMSG_UNSUBSCRIBE_LINK] = "これらの通知の配信を停止する",
    [NMSG_WINDOW] = "{1} から {2} まで",
    [NMSG_WINDOW_OPEN] = "（終了時刻未定）",
    [NMSG_STARTS_IN_ONE] = "あと {1} 分で開始",
    [NMSG_STARTS_IN_OTHER] = "あと {1} 分で開始",
    [NMSG_ST_INVESTIGATING] = "調査中",
    [NMSG_ST_IDENTIFIED] = "原因特定",
    [NMSG_ST_MONITORING] = "経過観察中",
    [NMSG_ST_RESOLVED] = "解決済み",
    [NMSG_ST_POSTMORTEM] = "事後分析",
    [NMSG_ST_SCHEDULED] = "予定",
    [NMSG_ST_IN_PROGRESS] = "実施中",
    [NMSG_ST_VERIFYING] = "確認中",
    [NMSG_ST_COMPLETED] = "完了",
    [NMSG_ST_UPDATE] = "更新",
    [NMSG_CONFIRM_SUBJECT] = "購読の確認をお願いします",
    [NMSG_CONFIRM_ASKED] = "{1} のステータス通知をこのアドレスで受け取る"
                           "お申し込みがありました。",
    [NMSG_CONFIRM_OPEN] = "次のリンクを開いて購読を確認してください：",
    [NMSG_CONFIRM_LINK] = "購読を確認する",
    [NMSG_CONFIRM_IGNORE] = "お心当たりがない場合は、このメッセージを無視"
                            "してください。今後メールが送られることは"
                            "ありません。",
    [NMSG_LINK_MISSING_T] = "リンクが不完全です",
    [NMSG_LINK_MISSING] = "このリンクは途中で切れています。メッセージ内のリンクを最後までコピーしてください。",
    [NMSG_LINK_UNKNOWN_T] = "不明なリンク",
    [NMSG_LINK_UNKNOWN_UNSUB] = "この配信停止リンクは無効です。",
    [NMSG_LINK_UNKNOWN_CONFIRM] = "この確認リンクは無効か、すでに使用されています。",
    [NMSG_LINK_ERROR_T] = "しばらくしてからお試しください",
    [NMSG_LINK_ERROR] = "リクエストを記録できませんでした。",
    [NMSG_LINK_UNSUB_T] = "配信を停止しました",
    [NMSG_LINK_UNSUB] = "このステータスページからの通知は今後届きません。",
    [NMSG_LINK_CONFIRMED_T] = "購読を確認しました",
    [NMSG_LINK_CONFIRMED] = "今後、障害やメンテナンスの通知をお届けします。",
    [NMSG_LINK_INACTIVE_T] = "購読は有効ではありません",
    [NMSG_LINK_INACTIVE] = "この購読は解除されたか、停止されています。",
    [NMSG_LOGIN_PASSWORD] = "パスワード",
    [NMSG_LOGIN_SUBMIT] = "ログイン",
    [NMSG_LOGIN_PRIVATE] = "このステータスページは非公開です。お渡しした閲覧用リンクを開いてください。",
    [NMSG_LOGIN_WAIT] = "パスワードの誤りが多すぎます。{1} 秒後にもう一度お試しください。",
    [NMSG_LOGIN_UNREADABLE] = "フォームを読み取れませんでした。",
    [NMSG_LOGIN_WRONG] = "パスワードが違います。",
    [NMSG_LOGIN_NO_PASSWORD] = "このページにはパスワードがありません。",
};

static const char *const msgs_zh_cn[NMSG_COUNT] = {
    [NMSG_KIND_INCIDENT] = "事件",
    [NMSG_KIND_MAINTENANCE] = "计划维护",
    [NMSG_LABEL_STATUS] = "状态",
    [NMSG_LABEL_AFFECTED] = "受影响",
    [NMSG_LABEL_WHEN] = "时间",
    [NMSG_LABEL_PAGE] = "状态页面",
    [NMSG_LABEL_UNSUBSCRIBE] = "退订",
    [NMSG_VIEW_PAGE] = "查看状态页面",
    [NMSG_UNSUBSCRIBE_LINK] = "退订这些通知",
    [NMSG_WINDOW] = "{1} 至 {2}",
    [NMSG_WINDOW_OPEN] = "（结束时间未定）",
    [NMSG_STARTS_IN_ONE] = "{1} 分钟后开始",
    [NMSG_STARTS_IN_OTHER] = "{1} 分钟后开始",
    [NMSG_ST_INVESTIGATING] = "调查中",
    [NMSG_ST_IDENTIFIED] = "已查明原因",
    [NMSG_ST_MONITORING] = "观察中",
    [NMSG_ST_RESOLVED] = "已解决",
    [NMSG_ST_POSTMORTEM] = "事后分析",
    [NMSG_ST_SCHEDULED] = "已计划",
    [NMSG_ST_IN_PROGRESS] = "进行中",
    [NMSG_ST_VERIFYING] = "验证中",
    [NMSG_ST_COMPLETED] = "已完成",
    [NMSG_ST_UPDATE] = "更新",
    [NMSG_CONFIRM_SUBJECT] = "请确认您的订阅",
    [NMSG_CONFIRM_ASKED] = "有人（希望是您本人）申请在此地址接收 {1} 的"
                           "状态通知。",
    [NMSG_CONFIRM_OPEN] = "请打开以下链接确认订阅：",
    [NMSG_CONFIRM_LINK] = "确认订阅",
    [NMSG_CONFIRM_IGNORE] = "如果不是您本人操作，请忽略此邮件：我们不会再"
                            "发送任何内容。",
    [NMSG_LINK_MISSING_T] = "链接不完整",
    [NMSG_LINK_MISSING] = "此链接不完整。请从邮件中复制完整的链接。",
    [NMSG_LINK_UNKNOWN_T] = "未知链接",
    [NMSG_LINK_UNKNOWN_UNSUB] = "此退订链接无效。",
    [NMSG_LINK_UNKNOWN_CONFIRM] = "此确认链接无效或已被使用。",
    [NMSG_LINK_ERROR_T] = "请稍后再试",
    [NMSG_LINK_ERROR] = "无法记录该请求。",
    [NMSG_LINK_UNSUB_T] = "已退订",
    [NMSG_LINK_UNSUB] = "您将不会再收到此状态页面的通知。",
    [NMSG_LINK_CONFIRMED_T] = "订阅已确认",
    [NMSG_LINK_CONFIRMED] = "您今后将收到有关事件和维护的通知。",
    [NMSG_LINK_INACTIVE_T] = "订阅未生效",
    [NMSG_LINK_INACTIVE] = "此订阅已被取消或暂停。",
    [NMSG_LOGIN_PASSWORD] = "密码",
    [NMSG_LOGIN_SUBMIT] = "登录",
    [NMSG_LOGIN_PRIVATE] = "此状态页面不公开。请打开您收到的查看链接。",
    [NMSG_LOGIN_WAIT] = "密码错误次数过多，请在 {1} 秒后重试。",
    [NMSG_LOGIN_UNREADABLE] = "无法读取表单。",
    [NMSG_LOGIN_WRONG] = "密码错误。",
    [NMSG_LOGIN_NO_PASSWORD] = "此页面没有设置密码。",
};

static const char *const *const tables[PH_LANG_COUNT] = {
    [PH_LANG_EN] = msgs_en,
    [PH_LANG_DE] = msgs_de,
    [PH_LANG_FR] = msgs_fr,
    [PH_LANG_ES] = msgs_es,
    [PH_LANG_PT_BR] = msgs_pt_br,
    [PH_LANG_JA] = msgs_ja,
    [PH_LANG_ZH_CN] = msgs_zh_cn,
};

const char *
notify_msg(int lang, enum notify_msg id)
{
    const char *s = NULL;

    if ((unsigned)id >= NMSG_COUNT) {
        return "";
    }
    if (lang >= 0 && lang < PH_LANG_COUNT && tables[lang] != NULL) {
        s = tables[lang][id];
    }
    return s != NULL ? s : msgs_en[id];
}

const char *
notify_msg_key(enum notify_msg id)
{
    return (unsigned)id < NMSG_COUNT ? keys[id] : "";
}

int
notify_msg_fill(struct buf *out, int lang, enum notify_msg id, const char *a,
                const char *b)
{
    const char *s = notify_msg(lang, id);
    int rc = 0;

    while (*s != '\0' && rc == 0) {
        const char *p = strchr(s, '{');

        if (p == NULL) {
            return buf_appends(out, s);
        }
        if ((p[1] == '1' || p[1] == '2') && p[2] == '}') {
            const char *v = p[1] == '1' ? a : b;
            rc = buf_append(out, s, (size_t)(p - s));
            if (rc == 0 && v != NULL) {
                rc = buf_appends(out, v);
            }
            s = p + 3;
        } else {
            rc = buf_append(out, s, (size_t)(p - s) + 1);
            s = p + 1;
        }
    }
    return rc != 0 ? rc : buf_appends(out, "");
}

size_t
notify_msgs_missing(int lang, const char **ret, size_t max)
{
    size_t n = 0;

    if (lang < 0 || lang >= PH_LANG_COUNT) {
        return 0;
    }
    for (int i = 0; i < NMSG_COUNT; i++) {
        if (tables[lang] == NULL || tables[lang][i] == NULL) {
            if (n < max) {
                ret[n] = keys[i];
            }
            n++;
        }
    }
    return n;
}
