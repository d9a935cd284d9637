// Built-in email templates. Their reference — files, syntax, placeholders — is
// docs/templates.md; keep the two in step (TemplateTests checks that every placeholder
// the engine knows is listed there).

/// The built-in templates (docs/templates.md describes the files and placeholders).
enum BuiltInTemplates {
    static let files: [String: String] = [
        "en.subject.txt": #"""
[{{severity_label}}] {{#is_revision}}Update (revision {{revision}}): {{/is_revision}}{{title}}{{#product_names}} — {{product_names}}{{/product_names}}
"""#,
        "en.text.txt": #"""
{{#is_revision}}
UPDATE: this is revision {{revision}} of a notice we sent you earlier.

{{/is_revision}}
{{#contact_name}}Dear {{contact_name}},{{/contact_name}}{{^contact_name}}Dear Customer,{{/contact_name}}

{{sender}} has published a notice that affects products registered by {{customer_name}} (customer ID {{customer_id}}).

{{title}}

Severity:   {{severity_label}}
Type:       {{kind_label}}
{{#published}}
Published:  {{published}}
{{/published}}
Reference:  {{article_key}}{{#is_revision}} (revision {{revision}}){{/is_revision}}

Affected products
{{#products}}
  * {{product}}, affected: {{affected}}; {{#fixed}}fixed in version {{fixed}}{{/fixed}}{{^fixed}}no fixed version announced yet{{/fixed}}
{{/products}}

Registered by you
{{#matched}}
  * {{product}} {{#version}}{{version}}{{/version}}{{^version}}(all versions){{/version}}
{{/matched}}
{{#summary}}

Summary
{{summary}}
{{/summary}}

What you should do
{{#critical}}
  This notice is critical: we strongly recommend acting on it as soon as possible.
{{/critical}}
{{#matched}}
  * {{#fixed}}Upgrade {{product}}{{#version}} from version {{version}}{{/version}} to version {{fixed}} or later.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}No fix for {{product}} {{version}} has been announced yet (fixed versions so far: {{fixed_all}}); apply the workaround the article describes, if any.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Upgrade {{product}} to the fixed version of your release line: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Review the article and apply the fix or workaround it describes for {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}
{{/matched}}
{{#link}}

Full article: {{link}}
{{/link}}

-- 
You receive this notice because {{customer_name}} (customer ID {{customer_id}}) has registered {{registered_products}} for proactive fix notifications under the {{plan}} support plan. This message was generated automatically; please do not reply to it. To change the registered products or contacts, please contact your support representative.
"""#,
        "en.html.txt": #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}}</title>
</head>
<body style="margin: 0; padding: 16px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.45; color: #1a1a1a;">
{{#is_revision}}
<p style="margin: 0 0 16px; padding: 8px 12px; background: #fff4d6; border-left: 4px solid #e0a800;"><strong>Update:</strong> this is revision {{revision}} of a notice we sent you earlier.</p>
{{/is_revision}}
<p>{{#contact_name}}Dear {{contact_name}},{{/contact_name}}{{^contact_name}}Dear Customer,{{/contact_name}}</p>
<p>{{sender}} has published a notice that affects products registered by {{customer_name}} (customer ID {{customer_id}}).</p>
<h1 style="font-size: 18px; margin: 16px 0 8px;">{{title}}</h1>
<table cellpadding="4" cellspacing="0" style="border-collapse: collapse;">
<tr><th align="left">Severity</th><td>{{#critical}}<strong style="color: #b00020;">{{severity_label}}</strong>{{/critical}}{{^critical}}{{severity_label}}{{/critical}}</td></tr>
<tr><th align="left">Type</th><td>{{kind_label}}</td></tr>
{{#published}}
<tr><th align="left">Published</th><td>{{published}}</td></tr>
{{/published}}
<tr><th align="left">Reference</th><td>{{article_key}}{{#is_revision}} (revision {{revision}}){{/is_revision}}</td></tr>
</table>
<h2 style="font-size: 15px; margin: 16px 0 4px;">Affected products</h2>
<ul>
{{#products}}
<li>{{product}}, affected: {{affected}}; {{#fixed}}fixed in version <strong>{{fixed}}</strong>{{/fixed}}{{^fixed}}no fixed version announced yet{{/fixed}}</li>
{{/products}}
</ul>
<h2 style="font-size: 15px; margin: 16px 0 4px;">Registered by you</h2>
<ul>
{{#matched}}
<li>{{product}} {{#version}}{{version}}{{/version}}{{^version}}(all versions){{/version}}</li>
{{/matched}}
</ul>
{{#summary}}
<h2 style="font-size: 15px; margin: 16px 0 4px;">Summary</h2>
<p style="white-space: pre-line;">{{summary}}</p>
{{/summary}}
<h2 style="font-size: 15px; margin: 16px 0 4px;">What you should do</h2>
{{#critical}}
<p style="margin: 0 0 4px;"><strong style="color: #b00020;">This notice is critical: we strongly recommend acting on it as soon as possible.</strong></p>
{{/critical}}
<ul>
{{#matched}}
<li>{{#fixed}}Upgrade {{product}}{{#version}} from version {{version}}{{/version}} to version <strong>{{fixed}}</strong> or later.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}No fix for {{product}} {{version}} has been announced yet (fixed versions so far: {{fixed_all}}); apply the workaround the article describes, if any.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Upgrade {{product}} to the fixed version of your release line: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Review the article and apply the fix or workaround it describes for {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}</li>
{{/matched}}
</ul>
{{#link}}
<p>Full article: <a href="{{link}}">{{link}}</a></p>
{{/link}}
<hr style="border: 0; border-top: 1px solid #ccc; margin: 24px 0 8px;">
<p style="font-size: 12px; color: #555;">You receive this notice because {{customer_name}} (customer ID {{customer_id}}) has registered {{registered_products}} for proactive fix notifications under the {{plan}} support plan. This message was generated automatically; please do not reply to it. To change the registered products or contacts, please contact your support representative.</p>
</body>
</html>
"""#,
        "en.digest-subject.txt": #"""
[{{severity_label}}] Fix notice digest for {{customer_name}}: {{count_text}}{{#critical_count}} ({{critical_text}}){{/critical_count}}
"""#,
        "en.digest-text.txt": #"""
{{#contact_name}}Dear {{contact_name}},{{/contact_name}}{{^contact_name}}Dear Customer,{{/contact_name}}

{{sender}} has published notices that affect products registered by {{customer_name}} (customer ID {{customer_id}}). This digest lists {{count_text}}, most severe first.
{{#critical_count}}
Critical notices in this digest: {{critical_count}}. We strongly recommend acting on them as soon as possible.
{{/critical_count}}

{{#notifications}}
{{position}}. [{{severity_label}}] {{#is_revision}}Update (revision {{revision}}): {{/is_revision}}{{title}}

   Type:       {{kind_label}}
{{#published}}
   Published:  {{published}}
{{/published}}
   Reference:  {{article_key}}{{#is_revision}} (revision {{revision}}){{/is_revision}}
{{#products}}
   Affected:   {{product}} ({{affected}}); {{#fixed}}fixed in version {{fixed}}{{/fixed}}{{^fixed}}no fixed version announced yet{{/fixed}}
{{/products}}
{{#matched}}
   Registered: {{product}} {{#version}}{{version}}{{/version}}{{^version}}(all versions){{/version}}
   To do:      {{#fixed}}Upgrade {{product}}{{#version}} from version {{version}}{{/version}} to version {{fixed}} or later.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}No fix for {{product}} {{version}} has been announced yet (fixed versions so far: {{fixed_all}}); apply the workaround the article describes, if any.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Upgrade {{product}} to the fixed version of your release line: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Review the article and apply the fix or workaround it describes for {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}
{{/matched}}
{{#link}}
   Article:    {{link}}
{{/link}}
{{#summary}}

{{summary}}
{{/summary}}

{{/notifications}}
-- 
You receive this digest because {{customer_name}} (customer ID {{customer_id}}) has registered {{registered_products}} for proactive fix notifications under the {{plan}} support plan. This message was generated automatically; please do not reply to it. To change the registered products or contacts, please contact your support representative.
"""#,
        "en.digest-html.txt": #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{count_text}}</title>
</head>
<body style="margin: 0; padding: 16px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.45; color: #1a1a1a;">
<p>{{#contact_name}}Dear {{contact_name}},{{/contact_name}}{{^contact_name}}Dear Customer,{{/contact_name}}</p>
<p>{{sender}} has published notices that affect products registered by {{customer_name}} (customer ID {{customer_id}}). This digest lists {{count_text}}, most severe first.</p>
{{#critical_count}}
<p><strong style="color: #b00020;">Critical notices in this digest: {{critical_count}}. We strongly recommend acting on them as soon as possible.</strong></p>
{{/critical_count}}
{{#notifications}}
<h2 style="font-size: 16px; margin: 24px 0 8px;">{{position}}. [{{#critical}}<span style="color: #b00020;">{{severity_label}}</span>{{/critical}}{{^critical}}{{severity_label}}{{/critical}}] {{#is_revision}}Update (revision {{revision}}): {{/is_revision}}{{title}}</h2>
<table cellpadding="4" cellspacing="0" style="border-collapse: collapse;">
<tr><th align="left">Type</th><td>{{kind_label}}</td></tr>
{{#published}}
<tr><th align="left">Published</th><td>{{published}}</td></tr>
{{/published}}
<tr><th align="left">Reference</th><td>{{article_key}}{{#is_revision}} (revision {{revision}}){{/is_revision}}</td></tr>
{{#products}}
<tr><th align="left">Affected</th><td>{{product}} ({{affected}}); {{#fixed}}fixed in version <strong>{{fixed}}</strong>{{/fixed}}{{^fixed}}no fixed version announced yet{{/fixed}}</td></tr>
{{/products}}
{{#matched}}
<tr><th align="left">Registered</th><td>{{product}} {{#version}}{{version}}{{/version}}{{^version}}(all versions){{/version}}</td></tr>
<tr><th align="left">To do</th><td>{{#fixed}}Upgrade {{product}}{{#version}} from version {{version}}{{/version}} to version <strong>{{fixed}}</strong> or later.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}No fix for {{product}} {{version}} has been announced yet (fixed versions so far: {{fixed_all}}); apply the workaround the article describes, if any.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Upgrade {{product}} to the fixed version of your release line: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Review the article and apply the fix or workaround it describes for {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}</td></tr>
{{/matched}}
{{#link}}
<tr><th align="left">Article</th><td><a href="{{link}}">{{link}}</a></td></tr>
{{/link}}
</table>
{{#summary}}
<p style="white-space: pre-line;">{{summary}}</p>
{{/summary}}
{{/notifications}}
<hr style="border: 0; border-top: 1px solid #ccc; margin: 24px 0 8px;">
<p style="font-size: 12px; color: #555;">You receive this digest because {{customer_name}} (customer ID {{customer_id}}) has registered {{registered_products}} for proactive fix notifications under the {{plan}} support plan. This message was generated automatically; please do not reply to it. To change the registered products or contacts, please contact your support representative.</p>
</body>
</html>
"""#,
        "pl.subject.txt": #"""
[{{severity_label}}] {{#is_revision}}Aktualizacja (wersja {{revision}}): {{/is_revision}}{{title}}{{#product_names}} — {{product_names}}{{/product_names}}
"""#,
        "pl.text.txt": #"""
{{#is_revision}}
AKTUALIZACJA: to jest wersja {{revision}} komunikatu, który wysłaliśmy wcześniej.

{{/is_revision}}
Szanowni Państwo,

informujemy o publikacji dotyczącej produktów zarejestrowanych przez klienta {{customer_name}} (identyfikator klienta {{customer_id}}).

{{title}}

Ważność:        {{severity_label}}
Rodzaj:         {{kind_label}}
{{#published}}
Opublikowano:   {{published}}
{{/published}}
Identyfikator:  {{article_key}}{{#is_revision}} (wersja {{revision}}){{/is_revision}}

Produkty, których dotyczy
{{#products}}
  * {{product}}, dotyczy: {{affected}}; {{#fixed}}poprawka w wersji {{fixed}}{{/fixed}}{{^fixed}}wersja z poprawką nie została jeszcze ogłoszona{{/fixed}}
{{/products}}

Zarejestrowane przez Państwa
{{#matched}}
  * {{product}} {{#version}}{{version}}{{/version}}{{^version}}(wszystkie wersje){{/version}}
{{/matched}}
{{#summary}}

Opis
{{summary}}
{{/summary}}

Zalecane działania
{{#critical}}
  To powiadomienie ma ważność krytyczną: zalecamy podjęcie działań niezwłocznie.
{{/critical}}
{{#matched}}
  * {{#fixed}}Prosimy o aktualizację {{product}}{{#version}} z wersji {{version}}{{/version}} do wersji {{fixed}} lub nowszej.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}Poprawka dla {{product}} {{version}} nie została jeszcze ogłoszona (wersje z poprawką: {{fixed_all}}); prosimy zastosować obejście opisane w artykule, jeśli jest.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Prosimy o aktualizację {{product}} do wersji z poprawką dla Państwa linii wydań: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Prosimy zapoznać się z artykułem i zastosować opisaną w nim poprawkę lub obejście dla {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}
{{/matched}}
{{#link}}

Pełna treść artykułu: {{link}}
{{/link}}

-- 
Otrzymują Państwo tę wiadomość, ponieważ dla klienta {{customer_name}} (identyfikator klienta {{customer_id}}) zarejestrowano produkty {{registered_products}} objęte proaktywnym powiadamianiem o poprawkach w ramach planu wsparcia {{plan}}. Wiadomość została wygenerowana automatycznie; prosimy na nią nie odpowiadać. Zmiany zarejestrowanych produktów lub osób kontaktowych prosimy zgłaszać swojemu opiekunowi w dziale wsparcia.
"""#,
        "pl.html.txt": #"""
<!DOCTYPE html>
<html lang="pl">
<head>
<meta charset="utf-8">
<title>{{title}}</title>
</head>
<body style="margin: 0; padding: 16px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.45; color: #1a1a1a;">
{{#is_revision}}
<p style="margin: 0 0 16px; padding: 8px 12px; background: #fff4d6; border-left: 4px solid #e0a800;"><strong>Aktualizacja:</strong> to jest wersja {{revision}} komunikatu, który wysłaliśmy wcześniej.</p>
{{/is_revision}}
<p>Szanowni Państwo,</p>
<p>informujemy o publikacji dotyczącej produktów zarejestrowanych przez klienta {{customer_name}} (identyfikator klienta {{customer_id}}).</p>
<h1 style="font-size: 18px; margin: 16px 0 8px;">{{title}}</h1>
<table cellpadding="4" cellspacing="0" style="border-collapse: collapse;">
<tr><th align="left">Ważność</th><td>{{#critical}}<strong style="color: #b00020;">{{severity_label}}</strong>{{/critical}}{{^critical}}{{severity_label}}{{/critical}}</td></tr>
<tr><th align="left">Rodzaj</th><td>{{kind_label}}</td></tr>
{{#published}}
<tr><th align="left">Opublikowano</th><td>{{published}}</td></tr>
{{/published}}
<tr><th align="left">Identyfikator</th><td>{{article_key}}{{#is_revision}} (wersja {{revision}}){{/is_revision}}</td></tr>
</table>
<h2 style="font-size: 15px; margin: 16px 0 4px;">Produkty, których dotyczy</h2>
<ul>
{{#products}}
<li>{{product}}, dotyczy: {{affected}}; {{#fixed}}poprawka w wersji <strong>{{fixed}}</strong>{{/fixed}}{{^fixed}}wersja z poprawką nie została jeszcze ogłoszona{{/fixed}}</li>
{{/products}}
</ul>
<h2 style="font-size: 15px; margin: 16px 0 4px;">Zarejestrowane przez Państwa</h2>
<ul>
{{#matched}}
<li>{{product}} {{#version}}{{version}}{{/version}}{{^version}}(wszystkie wersje){{/version}}</li>
{{/matched}}
</ul>
{{#summary}}
<h2 style="font-size: 15px; margin: 16px 0 4px;">Opis</h2>
<p style="white-space: pre-line;">{{summary}}</p>
{{/summary}}
<h2 style="font-size: 15px; margin: 16px 0 4px;">Zalecane działania</h2>
{{#critical}}
<p style="margin: 0 0 4px;"><strong style="color: #b00020;">To powiadomienie ma ważność krytyczną: zalecamy podjęcie działań niezwłocznie.</strong></p>
{{/critical}}
<ul>
{{#matched}}
<li>{{#fixed}}Prosimy o aktualizację {{product}}{{#version}} z wersji {{version}}{{/version}} do wersji <strong>{{fixed}}</strong> lub nowszej.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}Poprawka dla {{product}} {{version}} nie została jeszcze ogłoszona (wersje z poprawką: {{fixed_all}}); prosimy zastosować obejście opisane w artykule, jeśli jest.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Prosimy o aktualizację {{product}} do wersji z poprawką dla Państwa linii wydań: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Prosimy zapoznać się z artykułem i zastosować opisaną w nim poprawkę lub obejście dla {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}</li>
{{/matched}}
</ul>
{{#link}}
<p>Pełna treść artykułu: <a href="{{link}}">{{link}}</a></p>
{{/link}}
<hr style="border: 0; border-top: 1px solid #ccc; margin: 24px 0 8px;">
<p style="font-size: 12px; color: #555;">Otrzymują Państwo tę wiadomość, ponieważ dla klienta {{customer_name}} (identyfikator klienta {{customer_id}}) zarejestrowano produkty {{registered_products}} objęte proaktywnym powiadamianiem o poprawkach w ramach planu wsparcia {{plan}}. Wiadomość została wygenerowana automatycznie; prosimy na nią nie odpowiadać. Zmiany zarejestrowanych produktów lub osób kontaktowych prosimy zgłaszać swojemu opiekunowi w dziale wsparcia.</p>
</body>
</html>
"""#,
        "pl.digest-subject.txt": #"""
[{{severity_label}}] Zestawienie powiadomień o poprawkach dla {{customer_name}}: {{count_text}}{{#critical_count}} ({{critical_text}}){{/critical_count}}
"""#,
        "pl.digest-text.txt": #"""
Szanowni Państwo,

informujemy o publikacjach dotyczących produktów zarejestrowanych przez klienta {{customer_name}} (identyfikator klienta {{customer_id}}). To zestawienie obejmuje {{count_text}}, od najpoważniejszych.
{{#critical_count}}
Powiadomienia o ważności krytycznej w tym zestawieniu: {{critical_count}}. Zalecamy podjęcie działań niezwłocznie.
{{/critical_count}}

{{#notifications}}
{{position}}. [{{severity_label}}] {{#is_revision}}Aktualizacja (wersja {{revision}}): {{/is_revision}}{{title}}

   Rodzaj:         {{kind_label}}
{{#published}}
   Opublikowano:   {{published}}
{{/published}}
   Identyfikator:  {{article_key}}{{#is_revision}} (wersja {{revision}}){{/is_revision}}
{{#products}}
   Dotyczy:        {{product}} ({{affected}}); {{#fixed}}poprawka w wersji {{fixed}}{{/fixed}}{{^fixed}}wersja z poprawką nie została jeszcze ogłoszona{{/fixed}}
{{/products}}
{{#matched}}
   Zarejestrowano: {{product}} {{#version}}{{version}}{{/version}}{{^version}}(wszystkie wersje){{/version}}
   Zalecenie:      {{#fixed}}Prosimy o aktualizację {{product}}{{#version}} z wersji {{version}}{{/version}} do wersji {{fixed}} lub nowszej.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}Poprawka dla {{product}} {{version}} nie została jeszcze ogłoszona (wersje z poprawką: {{fixed_all}}); prosimy zastosować obejście opisane w artykule, jeśli jest.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Prosimy o aktualizację {{product}} do wersji z poprawką dla Państwa linii wydań: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Prosimy zapoznać się z artykułem i zastosować opisaną w nim poprawkę lub obejście dla {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}
{{/matched}}
{{#link}}
   Artykuł:        {{link}}
{{/link}}
{{#summary}}

{{summary}}
{{/summary}}

{{/notifications}}
-- 
Otrzymują Państwo to zestawienie, ponieważ dla klienta {{customer_name}} (identyfikator klienta {{customer_id}}) zarejestrowano produkty {{registered_products}} objęte proaktywnym powiadamianiem o poprawkach w ramach planu wsparcia {{plan}}. Wiadomość została wygenerowana automatycznie; prosimy na nią nie odpowiadać. Zmiany zarejestrowanych produktów lub osób kontaktowych prosimy zgłaszać swojemu opiekunowi w dziale wsparcia.
"""#,
        "pl.digest-html.txt": #"""
<!DOCTYPE html>
<html lang="pl">
<head>
<meta charset="utf-8">
<title>{{count_text}}</title>
</head>
<body style="margin: 0; padding: 16px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.45; color: #1a1a1a;">
<p>Szanowni Państwo,</p>
<p>informujemy o publikacjach dotyczących produktów zarejestrowanych przez klienta {{customer_name}} (identyfikator klienta {{customer_id}}). To zestawienie obejmuje {{count_text}}, od najpoważniejszych.</p>
{{#critical_count}}
<p><strong style="color: #b00020;">Powiadomienia o ważności krytycznej w tym zestawieniu: {{critical_count}}. Zalecamy podjęcie działań niezwłocznie.</strong></p>
{{/critical_count}}
{{#notifications}}
<h2 style="font-size: 16px; margin: 24px 0 8px;">{{position}}. [{{#critical}}<span style="color: #b00020;">{{severity_label}}</span>{{/critical}}{{^critical}}{{severity_label}}{{/critical}}] {{#is_revision}}Aktualizacja (wersja {{revision}}): {{/is_revision}}{{title}}</h2>
<table cellpadding="4" cellspacing="0" style="border-collapse: collapse;">
<tr><th align="left">Rodzaj</th><td>{{kind_label}}</td></tr>
{{#published}}
<tr><th align="left">Opublikowano</th><td>{{published}}</td></tr>
{{/published}}
<tr><th align="left">Identyfikator</th><td>{{article_key}}{{#is_revision}} (wersja {{revision}}){{/is_revision}}</td></tr>
{{#products}}
<tr><th align="left">Dotyczy</th><td>{{product}} ({{affected}}); {{#fixed}}poprawka w wersji <strong>{{fixed}}</strong>{{/fixed}}{{^fixed}}wersja z poprawką nie została jeszcze ogłoszona{{/fixed}}</td></tr>
{{/products}}
{{#matched}}
<tr><th align="left">Zarejestrowano</th><td>{{product}} {{#version}}{{version}}{{/version}}{{^version}}(wszystkie wersje){{/version}}</td></tr>
<tr><th align="left">Zalecenie</th><td>{{#fixed}}Prosimy o aktualizację {{product}}{{#version}} z wersji {{version}}{{/version}} do wersji <strong>{{fixed}}</strong> lub nowszej.{{/fixed}}{{^fixed}}{{#no_fix_for_release}}Poprawka dla {{product}} {{version}} nie została jeszcze ogłoszona (wersje z poprawką: {{fixed_all}}); prosimy zastosować obejście opisane w artykule, jeśli jest.{{/no_fix_for_release}}{{^no_fix_for_release}}{{#fixed_all}}Prosimy o aktualizację {{product}} do wersji z poprawką dla Państwa linii wydań: {{fixed_all}}.{{/fixed_all}}{{^fixed_all}}Prosimy zapoznać się z artykułem i zastosować opisaną w nim poprawkę lub obejście dla {{product}}.{{/fixed_all}}{{/no_fix_for_release}}{{/fixed}}</td></tr>
{{/matched}}
{{#link}}
<tr><th align="left">Artykuł</th><td><a href="{{link}}">{{link}}</a></td></tr>
{{/link}}
</table>
{{#summary}}
<p style="white-space: pre-line;">{{summary}}</p>
{{/summary}}
{{/notifications}}
<hr style="border: 0; border-top: 1px solid #ccc; margin: 24px 0 8px;">
<p style="font-size: 12px; color: #555;">Otrzymują Państwo to zestawienie, ponieważ dla klienta {{customer_name}} (identyfikator klienta {{customer_id}}) zarejestrowano produkty {{registered_products}} objęte proaktywnym powiadamianiem o poprawkach w ramach planu wsparcia {{plan}}. Wiadomość została wygenerowana automatycznie; prosimy na nią nie odpowiadać. Zmiany zarejestrowanych produktów lub osób kontaktowych prosimy zgłaszać swojemu opiekunowi w dziale wsparcia.</p>
</body>
</html>
"""#,
    ]
}
