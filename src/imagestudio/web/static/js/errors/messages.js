// What each error code means to a marketer, and the one next step to offer: data, not code.
// {provider} is the vendor's human name; {plan} the plan's name. `action` names a button the
// page can offer (see errors/explain.js); `admin` marks a set-up problem for the operator.

export const ERROR_TEXT = {
  provider_unavailable: {
    say: "{provider} is having trouble right now, so this image could not be made.",
    next: "Try again in a minute, or choose another provider or the free draft.",
    action: "retry",
  },
  provider_rate_limited: {
    say: "{provider} is busy with too many requests right now.",
    next: "Wait a minute and try again.",
    action: "retry",
  },
  provider_timeout: {
    say: "{provider} took too long to answer.",
    next: "Try again; fewer variations finish faster.",
    action: "retry",
  },
  provider_outcome_unknown: {
    say: "{provider} did not answer in time. You were not charged for this image.",
    next: "Try again in a minute.",
    action: "retry",
  },
  provider_auth_error: {
    say: "This studio's {provider} account is not working, so {provider} cannot make images.",
    next: "Ask your admin to check the {provider} account. Meanwhile use another provider or the free draft.",
    action: "draft",
    admin: true,
  },
  provider_not_configured: {
    say: "{provider} is not set up on this studio.",
    next: "Choose another provider, or ask your admin to set it up.",
    action: "auto",
    admin: true,
  },
  provider_bad_request: {
    say: "{provider} could not accept these settings.",
    next: "Change the size or the advanced settings, then try again.",
  },
  content_rejected: {
    say: "{provider}'s safety filter declined this image.",
    next: "Reword the prompt (leave out brand names, real people and sensitive topics) and try again.",
  },
  provider_protocol_error: {
    say: "{provider} sent back something the studio could not read.",
    next: "Try again; if it keeps happening, choose another provider.",
    action: "retry",
  },
  provider_error: {
    say: "{provider} could not make this image.",
    next: "Try again, or choose another provider.",
    action: "retry",
  },
  generation_failed: {
    say: "None of the images could be made.",
    next: "Try again in a minute, or choose another provider or the free draft.",
    action: "retry",
  },
  insufficient_credits: {
    say: "You do not have enough credit for this request.",
    next: "Ask your admin to add credit, or lower the variations, or use the free Draft quality.",
    nextLocal: "Add credit on the studio's computer: imagestudio credits grant local 10",
    action: "draft",
  },
  quota_exceeded: {
    say: "Your {plan} plan's images for this month are used up.",
    next: "Lower the variations, or wait for the monthly reset.",
  },
  rate_limited: {
    say: "You are generating faster than your plan allows.",
    next: "Wait a few seconds, then try again.",
    action: "retry",
  },
  plan_forbids: {
    say: "Your {plan} plan does not include this.",
    next: "Choose Standard quality or Auto, or ask your admin about a bigger plan.",
    action: "auto",
  },
  forbidden: {
    say: "Your account is not allowed to do this.",
    next: "Ask your admin for access.",
  },
  invalid_request: {
    say: "One of the settings cannot be used.",
    next: "Check the settings (see details), then try again.",
  },
  unsupported_by_model: {
    say: "The chosen model cannot use one of these settings.",
    next: "Choose Auto, or clear that setting in Advanced settings.",
    action: "auto",
  },
  unauthorized: {
    say: "Your sign-in is no longer valid.",
    next: "Sign in again.",
  },
  not_found: {
    say: "This item no longer exists.",
    next: "Reload the page.",
  },
  conflict: {
    say: "This request is already being handled.",
    next: "Wait a moment, then check your library.",
  },
  payload_too_large: {
    say: "This file is too large.",
    next: "Choose a smaller file.",
  },
  bad_request: {
    say: "The studio could not read this request.",
    next: "Reload the page and try again.",
  },
  unsupported_media_type: {
    say: "This kind of file cannot be used here.",
    next: "Choose a PNG, JPEG or WebP image.",
  },
  image_decode_error: {
    say: "This file could not be opened as an image.",
    next: "Choose another file (PNG, JPEG or WebP).",
  },
  image_too_large: {
    say: "This image has more pixels than the studio can work with.",
    next: "Choose a smaller image, or shrink it first.",
  },
  video_unavailable: {
    say: "Making videos is not set up on this studio.",
    next: "Ask your admin to install the studio's video support.",
    admin: true,
  },
  service_unavailable: {
    say: "The studio cannot reach its database right now.",
    next: "Try again in a minute; if it keeps happening, tell your admin.",
    action: "retry",
    admin: true,
  },
  recording_failed: {
    say: "Your images were made, but are not in your library yet.",
    next: "They appear there within a minute; open the Library shortly.",
  },
  network_error: {
    say: "Image Studio cannot be reached right now.",
    next: "Your settings are kept; the page reconnects by itself when the studio is back.",
  },
  aborted: {
    say: "You cancelled this generation.",
    next: "Images that were not finished are not charged. Press Generate to start again.",
  },
  cancelled: {
    say: "You cancelled this generation.",
    next: "Variations not started cost nothing; any already generating were finished and charged. Press Generate to start again.",
  },
  interrupted: {
    say: "The studio restarted before this run finished.",
    next: "Images not made are not charged. Press Generate to run it again.",
    action: "retry",
  },
  expired: {
    say: "This run waited too long for its turn and was not started.",
    next: "Nothing was charged. Press Generate to run it again.",
    action: "retry",
  },
  internal_error: {
    say: "Something went wrong inside the studio.",
    next: "Try again; if it keeps happening, tell your admin.",
    action: "retry",
    admin: true,
  },
};

export const FALLBACK = ERROR_TEXT.internal_error;
