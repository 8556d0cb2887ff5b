SELECT
  `t6`.`period`,
  `t6`.`series`,
  SUM(`t6`.`events`) AS `events`,
  SUM(`t6`.`sw`) AS `sw`,
  SUM(`t6`.`swg`) AS `swg`,
  SUM(`t6`.`sww`) AS `sww`,
  SUM(`t6`.`swwg`) AS `swwg`,
  SUM(`t6`.`swwgg`) AS `swwgg`,
  SUM(`t6`.`coop`) AS `coop`
FROM (
  SELECT
    `t5`.`period`,
    `t5`.`actor1_country`,
    `t5`.`actor2_country`,
    `t5`.`actor1_type1`,
    `t5`.`actor1_type2`,
    `t5`.`actor1_type3`,
    `t5`.`actor2_type1`,
    `t5`.`actor2_type2`,
    `t5`.`actor2_type3`,
    `t5`.`events`,
    `t5`.`sw`,
    `t5`.`swg`,
    `t5`.`sww`,
    `t5`.`swwg`,
    `t5`.`swwgg`,
    `t5`.`coop`,
    `t5`.`_t1`,
    `t5`.`_t2`,
    CASE
      WHEN (
        `t5`.`_t1` = 'official'
      ) AND (
        `t5`.`_t2` = 'official'
      )
      THEN 'official'
      WHEN `t5`.`_t1` IN ('official', 'local') AND `t5`.`_t2` IN ('official', 'local')
      THEN 'local'
      WHEN (
        `t5`.`_t1` = 'people'
      ) AND (
        `t5`.`_t2` = 'people'
      )
      THEN 'people'
      WHEN (
        `t5`.`_t1` IN ('official', 'local') AND (
          `t5`.`_t2` = 'people'
        )
      )
      OR (
        (
          `t5`.`_t1` = 'people'
        ) AND `t5`.`_t2` IN ('official', 'local')
      )
      THEN 'mixed'
      ELSE 'other'
    END AS `series`
  FROM (
    SELECT
      `t4`.`period`,
      `t4`.`actor1_country`,
      `t4`.`actor2_country`,
      `t4`.`actor1_type1`,
      `t4`.`actor1_type2`,
      `t4`.`actor1_type3`,
      `t4`.`actor2_type1`,
      `t4`.`actor2_type2`,
      `t4`.`actor2_type3`,
      `t4`.`events`,
      `t4`.`sw`,
      `t4`.`swg`,
      `t4`.`sww`,
      `t4`.`swwg`,
      `t4`.`swwgg`,
      `t4`.`coop`,
      CASE
        WHEN FALSE
        OR COALESCE(`t4`.`actor1_type1` IN ('LOC'), FALSE)
        OR COALESCE(`t4`.`actor1_type2` IN ('LOC'), FALSE)
        OR COALESCE(`t4`.`actor1_type3` IN ('LOC'), FALSE)
        THEN 'local'
        WHEN FALSE
        OR COALESCE(`t4`.`actor1_type1` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        OR COALESCE(`t4`.`actor1_type2` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        OR COALESCE(`t4`.`actor1_type3` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        THEN 'official'
        WHEN FALSE
        OR COALESCE(
          `t4`.`actor1_type1` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        OR COALESCE(
          `t4`.`actor1_type2` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        OR COALESCE(
          `t4`.`actor1_type3` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        THEN 'people'
        WHEN (
          `t4`.`actor1_country` IS NOT NULL
        )
        AND (
          (
            `t4`.`actor1_type1` IS NULL
          )
          AND (
            `t4`.`actor1_type2` IS NULL
          )
          AND (
            `t4`.`actor1_type3` IS NULL
          )
        )
        THEN 'official'
        ELSE 'other'
      END AS `_t1`,
      CASE
        WHEN FALSE
        OR COALESCE(`t4`.`actor2_type1` IN ('LOC'), FALSE)
        OR COALESCE(`t4`.`actor2_type2` IN ('LOC'), FALSE)
        OR COALESCE(`t4`.`actor2_type3` IN ('LOC'), FALSE)
        THEN 'local'
        WHEN FALSE
        OR COALESCE(`t4`.`actor2_type1` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        OR COALESCE(`t4`.`actor2_type2` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        OR COALESCE(`t4`.`actor2_type3` IN ('COP', 'GOV', 'JUD', 'LEG', 'MIL', 'SPY'), FALSE)
        THEN 'official'
        WHEN FALSE
        OR COALESCE(
          `t4`.`actor2_type1` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        OR COALESCE(
          `t4`.`actor2_type2` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        OR COALESCE(
          `t4`.`actor2_type3` IN (
            'AGR',
            'BUS',
            'CVL',
            'DEV',
            'EDU',
            'ENV',
            'HLH',
            'HRI',
            'LAB',
            'MED',
            'MOD',
            'NGM',
            'NGO',
            'RAD',
            'REF',
            'REL',
            'SET',
            'UAF'
          ),
          FALSE
        )
        THEN 'people'
        WHEN (
          `t4`.`actor2_country` IS NOT NULL
        )
        AND (
          (
            `t4`.`actor2_type1` IS NULL
          )
          AND (
            `t4`.`actor2_type2` IS NULL
          )
          AND (
            `t4`.`actor2_type3` IS NULL
          )
        )
        THEN 'official'
        ELSE 'other'
      END AS `_t2`
    FROM (
      SELECT
        `t3`.`period`,
        `t3`.`actor1_country`,
        `t3`.`actor2_country`,
        `t3`.`actor1_type1`,
        `t3`.`actor1_type2`,
        `t3`.`actor1_type3`,
        `t3`.`actor2_type1`,
        `t3`.`actor2_type2`,
        `t3`.`actor2_type3`,
        COUNT(*) AS `events`,
        SUM(CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64)) AS `sw`,
        SUM(
          CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * `t3`.`goldstein`
        ) AS `swg`,
        SUM(
          CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64)
        ) AS `sww`,
        SUM(
          CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * `t3`.`goldstein`
        ) AS `swwg`,
        SUM(
          CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * CAST(GREATEST(COALESCE(`t3`.`num_mentions`, 1), 1) AS FLOAT64) * `t3`.`goldstein` * `t3`.`goldstein`
        ) AS `swwgg`,
        SUM(CAST(COALESCE(`t3`.`quad_class` IN (1, 2), FALSE) AS INT64)) AS `coop`
      FROM (
        SELECT
          `t2`.`event_uid`,
          `t2`.`global_event_id`,
          `t2`.`event_date`,
          CAST(`t2`.`date_added` AS DATETIME) AS `date_added`,
          `t2`.`actor1_code`,
          `t2`.`actor1_name`,
          `t2`.`actor1_country`,
          `t2`.`actor1_type1`,
          `t2`.`actor1_type2`,
          `t2`.`actor1_type3`,
          `t2`.`actor2_code`,
          `t2`.`actor2_name`,
          `t2`.`actor2_country`,
          `t2`.`actor2_type1`,
          `t2`.`actor2_type2`,
          `t2`.`actor2_type3`,
          `t2`.`is_root_event`,
          `t2`.`event_code`,
          `t2`.`event_base_code`,
          `t2`.`event_root_code`,
          `t2`.`quad_class`,
          `t2`.`goldstein`,
          `t2`.`num_mentions`,
          `t2`.`num_sources`,
          `t2`.`num_articles`,
          `t2`.`avg_tone`,
          `t2`.`action_country`,
          `t2`.`source_url`,
          `t2`.`source_file`,
          `t2`.`source_format`,
          `t2`.`is_reemission`,
          DATE_TRUNC(`t2`.`event_date`, MONTH) AS `period`
        FROM (
          SELECT
            `t1`.`event_uid`,
            `t1`.`global_event_id`,
            `t1`.`event_date`,
            `t1`.`date_added`,
            `t1`.`actor1_code`,
            `t1`.`actor1_name`,
            `t1`.`actor1_country`,
            `t1`.`actor1_type1`,
            `t1`.`actor1_type2`,
            `t1`.`actor1_type3`,
            `t1`.`actor2_code`,
            `t1`.`actor2_name`,
            `t1`.`actor2_country`,
            `t1`.`actor2_type1`,
            `t1`.`actor2_type2`,
            `t1`.`actor2_type3`,
            `t1`.`is_root_event`,
            `t1`.`event_code`,
            `t1`.`event_base_code`,
            `t1`.`event_root_code`,
            `t1`.`quad_class`,
            `t1`.`goldstein`,
            `t1`.`num_mentions`,
            `t1`.`num_sources`,
            `t1`.`num_articles`,
            `t1`.`avg_tone`,
            `t1`.`action_country`,
            `t1`.`source_url`,
            `t1`.`source_file`,
            `t1`.`source_format`,
            COALESCE(
              (
                `t1`.`source_url` IS NOT NULL
              )
              AND (
                DATETIME_DIFF(
                  `t1`.`date_added`,
                  LAG(`t1`.`date_added`) OVER (
                    PARTITION BY `t1`.`actor1_code`, `t1`.`actor2_code`, `t1`.`event_code`, `t1`.`source_url`
                    ORDER BY `t1`.`date_added` ASC, `t1`.`event_uid` ASC
                  ),
                  SECOND
                ) <= 5400
              ),
              FALSE
            ) AS `is_reemission`
          FROM (
            SELECT
              CONCAT('gdelt:', CAST(`t0`.`GLOBALEVENTID` AS STRING)) AS `event_uid`,
              `t0`.`GLOBALEVENTID` AS `global_event_id`,
              DATE(
                CAST(FLOOR(ieee_divide(`t0`.`SQLDATE`, 10000)) AS INT64),
                MOD(CAST(FLOOR(ieee_divide(`t0`.`SQLDATE`, 100)) AS INT64), 100),
                MOD(`t0`.`SQLDATE`, 100)
              ) AS `event_date`,
              DATETIME(
                CAST(FLOOR(ieee_divide(`t0`.`DATEADDED`, 10000000000)) AS INT64),
                MOD(CAST(FLOOR(ieee_divide(`t0`.`DATEADDED`, 100000000)) AS INT64), 100),
                MOD(CAST(FLOOR(ieee_divide(`t0`.`DATEADDED`, 1000000)) AS INT64), 100),
                MOD(CAST(FLOOR(ieee_divide(`t0`.`DATEADDED`, 10000)) AS INT64), 100),
                MOD(CAST(FLOOR(ieee_divide(`t0`.`DATEADDED`, 100)) AS INT64), 100),
                MOD(`t0`.`DATEADDED`, 100)
              ) AS `date_added`,
              `t0`.`Actor1Code` AS `actor1_code`,
              `t0`.`Actor1Name` AS `actor1_name`,
              `t0`.`Actor1CountryCode` AS `actor1_country`,
              `t0`.`Actor1Type1Code` AS `actor1_type1`,
              `t0`.`Actor1Type2Code` AS `actor1_type2`,
              `t0`.`Actor1Type3Code` AS `actor1_type3`,
              `t0`.`Actor2Code` AS `actor2_code`,
              `t0`.`Actor2Name` AS `actor2_name`,
              `t0`.`Actor2CountryCode` AS `actor2_country`,
              `t0`.`Actor2Type1Code` AS `actor2_type1`,
              `t0`.`Actor2Type2Code` AS `actor2_type2`,
              `t0`.`Actor2Type3Code` AS `actor2_type3`,
              `t0`.`IsRootEvent` = 1 AS `is_root_event`,
              `t0`.`EventCode` AS `event_code`,
              `t0`.`EventBaseCode` AS `event_base_code`,
              `t0`.`EventRootCode` AS `event_root_code`,
              CAST(`t0`.`QuadClass` AS INT64) AS `quad_class`,
              `t0`.`GoldsteinScale` AS `goldstein`,
              CAST(`t0`.`NumMentions` AS INT64) AS `num_mentions`,
              CAST(`t0`.`NumSources` AS INT64) AS `num_sources`,
              CAST(`t0`.`NumArticles` AS INT64) AS `num_articles`,
              `t0`.`AvgTone` AS `avg_tone`,
              `t0`.`ActionGeo_CountryCode` AS `action_country`,
              `t0`.`SOURCEURL` AS `source_url`,
              'gdelt-bq.gdeltv2.events' AS `source_file`,
              'gdelt2' AS `source_format`
            FROM `gdelt-bq`.`gdeltv2`.`events` AS `t0`
          ) AS `t1`
        ) AS `t2`
        WHERE
          (
            (
              (
                `t2`.`actor1_country` = 'KHM'
              ) AND (
                `t2`.`actor2_country` = 'USA'
              )
            )
            OR (
              (
                `t2`.`actor1_country` = 'USA'
              ) AND (
                `t2`.`actor2_country` = 'KHM'
              )
            )
          )
          AND NOT (
            COALESCE(`t2`.`is_reemission`, FALSE)
          )
          AND TRUE
      ) AS `t3`
      GROUP BY
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9
    ) AS `t4`
  ) AS `t5`
) AS `t6`
GROUP BY
  1,
  2
