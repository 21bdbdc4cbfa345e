/**
 * The operators' infrastructure pages by route: sites, a host, a bank, offerings and a new offering.
 * They need no tenant picked. Someone who is not an operator gets the operators-only page, which is
 * what the API would say (403) to every call these pages make.
 */
import type { ReactNode } from 'react';
import { BankPage } from './bank-page.tsx';
import type { Client } from './client.ts';
import { HostPage } from './host-page.tsx';
import { NewOfferingPage } from './new-offering-page.tsx';
import { OfferingsPage } from './offerings-page.tsx';
import { OperatorsOnly } from './operators-only.tsx';
import type { Route } from './router.ts';
import { SitesPage } from './sites-page.tsx';

export const INFRASTRUCTURE_TITLES = {
  'admin-sites': 'Sites', 'admin-host': 'Host', 'admin-bank': 'Bank', 'admin-offerings': 'Offerings', 'admin-offering-new': 'New offering',
} as const;

/** The page of an infrastructure route, or undefined for any other route. */
export function infrastructurePage(route: Route, client: Client, operator: boolean): ReactNode | undefined {
  if (!(route.page in INFRASTRUCTURE_TITLES)) return undefined;
  if (!operator) return <OperatorsOnly what={route.page === 'admin-offerings' || route.page === 'admin-offering-new' ? 'Offerings' : 'Sites, hosts and banks'} />;
  switch (route.page) {
    case 'admin-sites': return <SitesPage client={client} />;
    case 'admin-host': return <HostPage key={route.id} client={client} id={route.id} />;
    case 'admin-bank': return <BankPage key={route.id} client={client} id={route.id} />;
    case 'admin-offerings': return <OfferingsPage client={client} />;
    case 'admin-offering-new': return <NewOfferingPage client={client} />;
    default: return undefined;
  }
}
