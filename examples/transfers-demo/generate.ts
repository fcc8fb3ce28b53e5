// Writes train.jsonl and test.jsonl of the transfers-demo task: money-transfer requests to a
// banking app's assistant, in English and some German, each with its gold object. Deterministic
// (fixed seeds): run `node --import tsx examples/transfers-demo/generate.ts` and the files come out
// the same. Templates, names, amounts, currencies and dates are drawn independently, a share of
// the names appears only in the test file, and no text is in both files, so a specialist has to
// learn where values sit in a sentence rather than memorise them.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "../../src/engine/random.js";

type Lang = "en" | "de";
type Intent = "send_money" | "request_money" | "check_balance" | "cancel_payment";
type Currency = "EUR" | "USD" | "GBP" | "CHF";
interface Gold {
  intent: Intent;
  amount: string | null;
  currency: Currency | null;
  recipient: string | null;
  when: string | null;
}

const TRAIN = { count: 800, seed: 11 };
const TEST = { count: 150, seed: 22 };
/** Share of German requests. */
const GERMAN = 0.25;

const NAMES = [
  "Anna", "Tom", "Lukas", "Sophie", "Mia", "Jonas", "Emma", "Noah", "Olivia", "Liam", "Hannah", "Felix", "Lea", "Paul",
  "Sarah Miller", "James", "Laura", "Ben", "Chloe", "David Chen", "Marie", "Maximilian", "Aisha", "Carlos", "Priya",
  "Jörg", "Sven Becker", "Fatima", "Oliver", "Grace", "Elena", "Mohammed", "Yuki", "Nina Schulz", "Ruth", "Kevin",
];
/** The last names are kept for the test file: recipients the specialist never saw in training. */
const TEST_ONLY_NAMES = 10;
const PEOPLE: Record<Lang, string[]> = {
  en: ["my landlord", "my sister", "mum", "my brother", "the plumber", "my flatmate", "dad", "the babysitter"],
  de: ["meine Schwester", "meinen Vermieter", "Mama", "meinen Bruder", "den Handwerker", "Papa"],
};
const WHEN: Record<Lang, string[]> = {
  en: ["tomorrow", "today", "tonight", "on Friday", "on Monday", "next Tuesday", "next week", "on the 15th", "at the end of the month", "on 3 March", "this weekend", "yesterday"],
  de: ["morgen", "heute", "übermorgen", "am Freitag", "am Montag", "nächste Woche", "Ende des Monats", "am 15. Mai", "gestern"],
};
/** How each currency may be written around an amount, `#` standing for it. */
const CURRENCY_FORMS: Record<Lang, Record<Currency, string[]>> = {
  en: { EUR: ["€#", "# euros", "# EUR"], USD: ["$#", "# dollars", "# USD"], GBP: ["£#", "# pounds", "# quid", "# GBP"], CHF: ["CHF #", "# francs"] },
  de: { EUR: ["# €", "# Euro", "# EUR"], USD: ["# Dollar", "$#"], GBP: ["# Pfund", "£#"], CHF: ["# Franken", "CHF #"] },
};
/** The currency named on its own, for balance questions. */
const CURRENCY_NAMES: Record<Lang, Record<Currency, string[]>> = {
  en: { EUR: ["euro", "EUR"], USD: ["dollar", "USD"], GBP: ["pound", "GBP"], CHF: ["Swiss franc", "CHF"] },
  de: { EUR: ["Euro"], USD: ["Dollar"], GBP: ["Pfund"], CHF: ["Franken"] },
};

// Templates: {amt} an amount with or without its currency, {rec} a recipient, {when} a date (a
// template without one leaves it null), {cur} a currency name. A template may say `{when?}`: the
// date is then left out of some requests.
const TEMPLATES: Record<Lang, Record<Intent, string[]>> = {
  en: {
    send_money: [
      "send {amt} to {rec} {when?}", "please transfer {amt} to {rec}", "I want to pay {rec} {amt} {when?}", "can you wire {amt} to {rec} {when}?",
      "pay {rec} {amt}", "{rec} needs {amt} from me, send it {when}", "transfer {amt} to {rec}'s account {when?}", "move {amt} over to {rec}",
      "I owe {rec} {amt}, please pay them {when?}", "give {rec} {amt} for the tickets", "schedule a payment of {amt} to {rec} {when}",
    ],
    request_money: [
      "request {amt} from {rec}", "ask {rec} to pay me {amt} {when?}", "{rec} owes me {amt}, send a payment request", "can you send {rec} a request for {amt}?",
      "remind {rec} to pay back the {amt} {when?}", "I need {rec} to send me {amt}", "get {amt} back from {rec} for dinner", "split the bill with {rec}, ask for {amt}",
    ],
    check_balance: [
      "what's my balance?", "how much money do I have left?", "how many {cur}s are in my account?", "show me my account balance",
      "check my {cur} balance", "what was my balance {when}?", "balance please", "how much is on my {cur} account {when?}", "can I see how much I have",
    ],
    cancel_payment: [
      "cancel the payment to {rec}", "stop the transfer of {amt} to {rec} {when?}", "please cancel my {amt} payment to {rec}", "I sent {amt} to {rec} by mistake, cancel it",
      "don't send the money to {rec} {when}", "cancel the standing order to {rec}", "undo the transfer I made to {rec} {when}", "call off the {amt} payment {when}",
    ],
  },
  de: {
    send_money: ["überweise {amt} an {rec} {when?}", "bitte {amt} an {rec} senden", "schick {rec} {when} {amt}", "ich möchte {rec} {amt} zahlen", "zahl {rec} {amt} {when?}"],
    request_money: ["fordere {amt} von {rec} an", "{rec} schuldet mir {amt}, bitte eine Zahlungsanforderung schicken", "bitte {rec} um {amt} {when?}", "hol dir {amt} von {rec} zurück"],
    check_balance: ["wie hoch ist mein Kontostand?", "wie viel Geld habe ich noch?", "Kontostand {when}?", "wie viele {cur} habe ich auf dem Konto?", "zeig mir meinen Kontostand"],
    cancel_payment: ["storniere die Überweisung an {rec}", "bitte die Zahlung von {amt} an {rec} stoppen", "die Überweisung {when} an {rec} abbrechen", "Zahlung an {rec} {when?} zurückziehen"],
  },
};
const OPENERS: Record<Lang, string[]> = { en: ["", "", "", "hi, ", "hey ", "please ", "quick one: "], de: ["", "", "", "hallo, ", "bitte "] };

function generate(count: number, seed: number, names: readonly string[], taken: Set<string>): { text: string; output: Gold }[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const rows: { text: string; output: Gold }[] = [];
  while (rows.length < count) {
    const lang: Lang = random() < GERMAN ? "de" : "en";
    const intent = pick(Object.keys(TEMPLATES[lang]) as Intent[]);
    const template = pick(TEMPLATES[lang][intent]);
    const gold: Gold = { intent, amount: null, currency: null, recipient: null, when: null };
    let text = template.replace(/\{(amt|rec|when\??|cur)\}/g, (_, slot: string) => {
      if (slot === "amt") return amountPhrase(lang, gold, random, pick);
      if (slot === "rec") return (gold.recipient = random() < 0.75 ? pick(names) : pick(PEOPLE[lang]));
      if (slot === "cur") {
        gold.currency = pick(Object.keys(CURRENCY_NAMES[lang]) as Currency[]);
        return pick(CURRENCY_NAMES[lang][gold.currency]);
      }
      if (slot === "when?" && random() < 0.5) return "";
      return (gold.when = pick(WHEN[lang]));
    });
    text = pick(OPENERS[lang]) + text.replace(/\s+([?,])/g, "$1").replace(/\s+/g, " ").trim();
    if (random() < 0.4) text = text[0].toUpperCase() + text.slice(1);
    // A date holding the amount's digits ("on the 15th", 15) would leave the amount's place ambiguous.
    if (gold.amount !== null && gold.when?.includes(gold.amount)) continue;
    if (taken.has(text)) continue;
    taken.add(text);
    rows.push({ text, output: gold });
  }
  return rows;
}

/** An amount in a language's own number style, with its currency in one of its written forms (or none). */
function amountPhrase(lang: Lang, gold: Gold, random: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const whole = pick([5, 10, 12, 20, 25, 30, 40, 45, 50, 60, 75, 80, 100, 120, 150, 200, 250, 300, 450, 500, 800, 1000, 1200, 1500, 2500]);
  const [thousands, decimal] = lang === "en" ? [",", "."] : [".", ","];
  let amount = whole >= 1000 && random() < 0.7 ? `${Math.floor(whole / 1000)}${thousands}${String(whole % 1000).padStart(3, "0")}` : String(whole);
  if (random() < 0.2) amount += `${decimal}${pick(["50", "99", "00", "25"])}`;
  gold.amount = amount;
  if (random() < 0.2) return amount;
  gold.currency = pick(Object.keys(CURRENCY_FORMS[lang]) as Currency[]);
  return pick(CURRENCY_FORMS[lang][gold.currency]).replace("#", amount);
}

function write(file: string, rows: readonly { text: string; output: Gold }[]): void {
  writeFileSync(fileURLToPath(new URL(file, import.meta.url)), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

const taken = new Set<string>();
const trainNames = NAMES.slice(0, NAMES.length - TEST_ONLY_NAMES);
write("train.jsonl", generate(TRAIN.count, TRAIN.seed, trainNames, taken));
write("test.jsonl", generate(TEST.count, TEST.seed, NAMES, taken));
