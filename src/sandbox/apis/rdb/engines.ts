// The PostgreSQL engine as Scaleway lists it (GET /database-engines, recorded in the provider's cassettes):
// its versions and, of its settings, those the sandbox knows (the defaults of a db-dev-s node).
export interface EngineSetting {
  default_value: string;
  description: string;
  float_max: number | null;
  float_min: number | null;
  hot_configurable: boolean;
  int_max: number | null;
  int_min: number | null;
  name: string;
  property_type: "INT" | "STRING" | "BOOLEAN" | "FLOAT";
  string_constraint: string | null;
  unit: string | null;
}

export const PG_SETTINGS: EngineSetting[] = [
  {
    default_value: "4096",
    description: "Sets the planner s assumption about the size of the data cache.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 1048576,
    int_min: 64,
    name: "effective_cache_size",
    property_type: "INT",
    string_constraint: null,
    unit: "MB",
  },
  {
    default_value: "3600000",
    description: "Sets the maximum allowed duration of any idling transaction. Value in ms",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 2147483647,
    int_min: 0,
    name: "idle_in_transaction_session_timeout",
    property_type: "INT",
    string_constraint: null,
    unit: "ms",
  },
  {
    default_value: "64",
    description: "Sets the maximum memory to be used for maintenance operations.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 2097151,
    int_min: 1,
    name: "maintenance_work_mem",
    property_type: "INT",
    string_constraint: null,
    unit: "MB",
  },
  {
    default_value: "100",
    description: "Sets the maximum number of concurrent connections.",
    float_max: null,
    float_min: null,
    hot_configurable: false,
    int_max: 10000,
    int_min: 50,
    name: "max_connections",
    property_type: "INT",
    string_constraint: null,
    unit: null,
  },
  {
    default_value: "8",
    description: "Sets the maximum number of parallel workers that can be active at one time.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 1024,
    int_min: 0,
    name: "max_parallel_workers",
    property_type: "INT",
    string_constraint: null,
    unit: null,
  },
  {
    default_value: "2",
    description: "Sets the maximum number of parallel processes per executor node.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 1024,
    int_min: 0,
    name: "max_parallel_workers_per_gather",
    property_type: "INT",
    string_constraint: null,
    unit: null,
  },
  {
    default_value: "86400000",
    description: "Sets the maximum allowed duration of any statement. Value in ms",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 2147483647,
    int_min: 30000,
    name: "statement_timeout",
    property_type: "INT",
    string_constraint: null,
    unit: "ms",
  },
  {
    default_value: "GMT",
    description: "This option sets the global timezone system variable.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: null,
    int_min: null,
    name: "timezone",
    property_type: "STRING",
    string_constraint:
      "^((Africa\\/(Abidjan|Accra|Addis_Ababa|Algiers|Asmara|Bamako|Bangui|Banjul|Bissau|Blantyre|Brazzaville|Bujumbura|Cairo|Casablanca|Ceuta|Conakry|Dakar|Dar_es_Salaam|Djibouti|Douala|El_Aaiun|Freetown|Gaborone|Harare|Johannesburg|Juba|Kampala|Khartoum|Kigali|Kinshasa|Lagos|Libreville|Lome|Luanda|Lubumbashi|Lusaka|Malabo|Maputo|Maseru|Mbabane|Mogadishu|Monrovia|Nairobi|Ndjamena|Niamey|Nouakchott|Ouagadougou|Porto-Novo|Sao_Tome|Tripoli|Tunis|Windhoek))|(America\\/)(Adak|Anchorage|Anguilla|Antigua|Araguaina|Argentina\\/Buenos_Aires|Argentina\\/Catamarca|Argentina\\/Cordoba|Argentina\\/Jujuy|Argentina\\/La_Rioja|Argentina\\/Mendoza|Argentina\\/Rio_Gallegos|Argentina\\/Salta|Argentina\\/San_Juan|Argentina\\/San_Luis|Argentina\\/Tucuman|Argentina\\/Ushuaia|Aruba|Asuncion|Atikokan|Bahia|Bahia_Banderas|Barbados|Belem|Belize|Blanc-Sablon|Boa_Vista|Bogota|Boise|Cambridge_Bay|Campo_Grande|Cancun|Caracas|Cayenne|Cayman|Chicago|Chihuahua|Costa_Rica|Creston|Cuiaba|Curacao|Danmarkshavn|Dawson|Dawson_Creek|Denver|Detroit|Dominica|Edmonton|Eirunepe|El_Salvador|Fort_Nelson|Fortaleza|Glace_Bay|Goose_Bay|Grand_Turk|Grenada|Guadeloupe|Guatemala|Guayaquil|Guyana|Halifax|Havana|Hermosillo|Indiana\\/Indianapolis|Indiana\\/Knox|Indiana\\/Marengo|Indiana\\/Petersburg|Indiana\\/Tell_City|Indiana\\/Vevay|Indiana\\/Vincennes|Indiana\\/Winamac|Inuvik|Iqaluit|Jamaica|Juneau|Kentucky\\/Louisville|Kentucky\\/Monticello|Kralendijk|La_Paz|Lima|Los_Angeles|Lower_Princes|Maceio|Managua|Manaus|Marigot|Martinique|Matamoros|Mazatlan|Menominee|Merida|Metlakatla|Mexico_City|Miquelon|Moncton|Monterrey|Montevideo|Montserrat|Nassau|New_York|Nipigon|Nome|Noronha|North_Dakota\\/Beulah|North_Dakota\\/Center|North_Dakota\\/New_Salem|Nuuk|Ojinaga|Panama|Pangnirtung|Paramaribo|Phoenix|Port-au-Prince|Port_of_Spain|Porto_Velho|Puerto_Rico|Punta_Arenas|Rainy_River|Rankin_Inlet|Recife|Regina|Resolute|Rio_Branco|Santarem|Santiago|Santo_Domingo|Sao_Paulo|Scoresbysund|Sitka|St_Barthelemy|St_Johns|St_Kitts|St_Lucia|St_Thomas|St_Vincent|Swift_Current|Tegucigalpa|Thule|Thunder_Bay|Tijuana|Toronto|Tortola|Vancouver|Whitehorse|Winnipeg|Yakutat|Yellowknife)|(Antarctica\\/)(Casey|Davis|DumontDUrville|Macquarie|Mawson|McMurdo|Palmer|Rothera|Syowa|Troll|Vostok)|(Arctic\\/Longyearbyen)|(Asia\\/)(Aden|Almaty|Amman|Anadyr|Aqtau|Aqtobe|Ashgabat|Atyrau|Baghdad|Bahrain|Baku|Bangkok|Barnaul|Beirut|Bishkek|Brunei|Chita|Choibalsan|Colombo|Damascus|Dhaka|Dili|Dubai|Dushanbe|Famagusta|Gaza|Hebron|Ho_Chi_Minh|Hong_Kong|Hovd|Irkutsk|Jakarta|Jayapura|Jerusalem|Kabul|Kamchatka|Karachi|Kathmandu|Khandyga|Kolkata|Krasnoyarsk|Kuala_Lumpur|Kuching|Kuwait|Macau|Magadan|Makassar|Manila|Muscat|Nicosia|Novokuznetsk|Novosibirsk|Omsk|Oral|Phnom_Penh|Pontianak|Pyongyang|Qatar|Qostanay|Qyzylorda|Riyadh|Sakhalin|Samarkand|Seoul|Shanghai|Singapore|Srednekolymsk|Taipei|Tashkent|Tbilisi|Tehran|Thimphu|Tokyo|Tomsk|Ulaanbaatar|Urumqi|Ust-Nera|Vientiane|Vladivostok|Yakutsk|Yangon|Yekaterinburg|Yerevan)|(Atlantic\\/)(Azores|Bermuda|Canary|Cape_Verde|Faroe|Madeira|Reykjavik|South_Georgia|St_Helena|Stanley)|(Australia\\/)(Adelaide|Brisbane|Broken_Hill|Currie|Darwin|Eucla|Hobart|Lindeman|Lord_Howe|Melbourne|Perth|Sydney)|(Canada\\/)(Atlantic|Central|Eastern|Mountain|Newfoundland|Pacific)|(Europe\\/)(Amsterdam|Andorra|Astrakhan|Athens|Belgrade|Berlin|Bratislava|Brussels|Bucharest|Budapest|Busingen|Chisinau|Copenhagen|Dublin|Gibraltar|Guernsey|Helsinki|Isle_of_Man|Istanbul|Jersey|Kaliningrad|Kiev|Kirov|Lisbon|Ljubljana|London|Luxembourg|Madrid|Malta|Mariehamn|Minsk|Monaco|Moscow|Oslo|Paris|Podgorica|Prague|Riga|Rome|Samara|San_Marino|Sarajevo|Saratov|Simferopol|Skopje|Sofia|Stockholm|Tallinn|Tirane|Ulyanovsk|Uzhgorod|Vaduz|Vatican|Vienna|Vilnius|Volgograd|Warsaw|Zagreb|Zaporozhye|Zurich)|(GMT)|(UTC)|(Indian\\/)(Antananarivo|Chagos|Christmas|Cocos|Comoro|Kerguelen|Mahe|Maldives|Mauritius|Mayotte|Reunion)|(Pacific\\/)(Apia|Auckland|Bougainville|Chatham|Chuuk|Easter|Efate|Enderbury|Fakaofo|Fiji|Funafuti|Galapagos|Gambier|Guadalcanal|Guam|Honolulu|Kiritimati|Kosrae|Kwajalein|Majuro|Marquesas|Midway|Nauru|Niue|Norfolk|Noumea|Pago_Pago|Palau|Pitcairn|Pohnpei|Port_Moresby|Rarotonga|Saipan|Tahiti|Tarawa|Tongatapu|Wake|Wallis)|(US\\/)(Alaska|Arizona|Central|Eastern|Hawaii|Mountain|Pacific))$",
    unit: null,
  },
  {
    default_value: "4",
    description: "Sets the maximum memory to be used for query workspaces.",
    float_max: null,
    float_min: null,
    hot_configurable: true,
    int_max: 2097151,
    int_min: 1,
    name: "work_mem",
    property_type: "INT",
    string_constraint: null,
    unit: "MB",
  },
];

export const PG_INIT_SETTINGS: EngineSetting[] = [];

/** Versions as recorded: [major, end_of_life]. */
export const PG_VERSIONS: [string, string][] = [
  ["17", "2029-11-08T00:00:00Z"],
  ["16", "2028-11-09T00:00:00Z"],
  ["15", "2027-11-11T00:00:00Z"],
  ["14", "2026-11-12T00:00:00Z"],
  ["13", "2025-11-13T00:00:00Z"],
  ["12", "2024-11-14T00:00:00Z"],
  ["11", "2023-11-09T00:00:00Z"],
  ["10", "2022-11-10T00:00:00Z"],
  ["9.6", "2021-11-11T00:00:00Z"],
];

export const LOGO_URL = "https://s3.nl-ams.scw.cloud/scw-rdb-logos/postgresql.svg";
